// Pure logic of the backup checks: pg_dump version parsing and search, the checksum query, the config section.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { relationSumSql } from '../../src/checks/backup/compare.js';
import { candidateDirs, findPgTools, parseToolVersion } from '../../src/checks/backup/pg-tools.js';
import { validateConfig } from '../../src/config/load.js';

describe('pg_dump discovery', () => {
  it('parses the major version', () => {
    expect(parseToolVersion('pg_dump (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)\n')).toEqual({ major: 15, version: '15.8' });
    expect(parseToolVersion('pg_restore (PostgreSQL) 17beta1')).toEqual({ major: 17, version: '17' });
    expect(parseToolVersion('something else')).toBeUndefined();
  });

  it('tries config, then PATH, then the Debian directory', () => {
    expect(candidateDirs(15, '/opt/pg/bin', '/a:/b')).toEqual([
      { dir: '/opt/pg/bin', source: 'config.backup.pg_dump_path' }, { dir: '/a', source: 'PATH' }, { dir: '/b', source: 'PATH' },
      { dir: '/usr/lib/postgresql/15/bin', source: 'Debian layout' },
    ]);
  });

  it('skips a version mismatch with the exact reason', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-fake-pg-'));
    try {
      for (const tool of ['pg_dump', 'pg_restore']) {
        await writeFile(path.join(dir, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) 16.4"\n`);
        await chmod(path.join(dir, tool), 0o755);
      }
      const found = await findPgTools(98, undefined, dir);
      expect(found).toEqual({ reason: expect.stringContaining(`no pg_dump/pg_restore for PostgreSQL 98`) });
      expect((found as { reason: string }).reason).toContain(`${dir}/pg_dump (PATH): version 16.4; /usr/lib/postgresql/98/bin/pg_dump (Debian layout): not found`);
      expect(await findPgTools(16, undefined, dir)).toEqual({ pgDump: `${dir}/pg_dump`, pgRestore: `${dir}/pg_restore`, version: '16.4' });
      expect(await findPgTools(16, `${dir}/pg_dump`, '')).toMatchObject({ pgDump: `${dir}/pg_dump` });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('round trip helpers', () => {
  it('orders rows by primary key, or by the whole row without one', () => {
    expect(relationSumSql({ schema: 's', name: 't', pk: ['a', 'order'] })).toContain(`ORDER BY stackprobe_row.a, stackprobe_row."order"`);
    expect(relationSumSql({ schema: 's', name: 't', pk: [] })).toContain('ORDER BY stackprobe_row::text');
  });

  it('validates the backup config with the field named', () => {
    expect(() => validateConfig({ backup: { latest_backup_at: 'yesterday' } })).toThrow(/config\.backup\.latest_backup_at: expected an ISO 8601 timestamp/);
    expect(() => validateConfig({ backup: { max_bytes: -1 } })).toThrow(/config\.backup\.max_bytes: expected a positive size in bytes/);
    expect(validateConfig({}).backup).toMatchObject({ whole_database: false, max_age_h: 26, max_bytes: 1024 ** 3, quick_max_bytes: 100 * 1024 ** 2 });
    expect(validateConfig({}).backup.schemas).toBeUndefined();
  });
});
