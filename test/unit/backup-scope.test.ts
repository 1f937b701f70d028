// Pure logic of the round trip's scope and safety: exact pg_dump patterns, the size budget closed over foreign keys, libpq files, owner markers, sequences.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sequenceRestoredRight } from '../../src/checks/backup/judge.js';
import { claimDir, currentOwner, formatOwner, ownerIsGone, parseOwner, reapDumpDirs } from '../../src/checks/backup/owner.js';
import { createDatabaseSql, quoteLiteral } from '../../src/checks/backup/scratch.js';
import { applyBudget, dumpArgs, exactPattern, type Relation } from '../../src/checks/backup/scope.js';
import { libpqEnvFiles, passfileLine, serviceFile } from '../../src/targets/pg/libpq-files.js';
import { parsePgUrl } from '../../src/targets/pg/spec.js';
import { libpqSettings } from '../../src/targets/pg/spec-clients.js';

/** libpq's settings of a URL, in an environment with no PG* variables and no ~/.postgresql. */
const libpqParams = (url: string, database?: string) => {
  const spec = parsePgUrl(url, { HOME: '/nonexistent' });
  return libpqSettings(database === undefined ? spec : { ...spec, database }, { applicationName: 'stackprobe-backup', connectTimeoutMs: 10_000, noRootCert: '/private/none' });
};
const fixed = { application_name: 'stackprobe-backup', connect_timeout: '10' };
describe('pg_dump patterns', () => {
  it('quotes names so case, dots, quotes and wildcards match literally', () => {
    expect(exactPattern('Finance')).toBe('"Finance"');
    expect(exactPattern('acct.v2')).toBe('"acct.v2"');
    expect(exactPattern('we"ird*?')).toBe('"we""ird*?"');
    expect(exactPattern('s', 'T.x')).toBe('"s"."T.x"');
  });

  it('selects schemas by -n (with --blobs) or -N (with --no-blobs when large objects are left out)', () => {
    expect(dumpArgs({ only: ['public', 'Finance'] }, [], true)).toEqual(['-n', '"public"', '-n', '"Finance"', '--blobs']);
    expect(dumpArgs({ except: ['stackprobe'] }, [{ schema: 'a', name: 'big' }], false)).toEqual(['-N', '"stackprobe"', '--no-blobs', '--exclude-table-data="a"."big"']);
  });
});

const rel = (oid: number, name: string, bytes: number, extra: Partial<Relation> = {}): Relation => ({
  oid, schema: 's', name, kind: 'r', unlogged: false, bytes, root: oid, pk: [], populated: true, ...extra,
});

describe('the size budget', () => {
  it('keeps the smallest partition trees whole and leaves out the rest with the reason', () => {
    const rels = [rel(1, 'small', 10), rel(2, 'p1', 40, { root: 5 }), rel(3, 'p2', 40, { root: 5 }), rel(4, 'big', 500)];
    const b = applyBudget(rels, [], 100);
    expect(b.kept.map((r) => r.name)).toEqual(['small', 'p1', 'p2']);
    expect(b.left.map((l) => [l.rel.name, l.why])).toEqual([['big', 'beyond the size limit (500 bytes would make 590 > 100)']]);
    expect([b.keptBytes, b.leftBytes]).toEqual([90, 500]);
  });

  it('leaves out tables whose foreign keys point at left-out data, and materialised views once anything is left out', () => {
    const rels = [rel(1, 'accounts', 500), rel(2, 'entries', 10), rel(3, 'lines', 10), rel(4, 'free', 10), rel(6, 'mv', 5, { kind: 'm' })];
    const b = applyBudget(rels, [{ child: 2, parent: 1 }, { child: 3, parent: 2 }, { child: 4, parent: 4 }], 100);
    expect(b.kept.map((r) => r.name)).toEqual(['free']);
    expect(Object.fromEntries(b.left.map((l) => [l.rel.name, l.why]))).toEqual({
      accounts: expect.stringMatching(/^beyond the size limit/), entries: 'references s.accounts, whose data is left out',
      lines: 'references s.entries, whose data is left out', mv: expect.stringMatching(/materialised view is refreshed/),
    });
    expect(applyBudget(rels, [], 10_000).left).toEqual([]);
  });
});

describe('credentials for pg_dump/pg_restore', () => {
  it('takes user and password from the authority or the query string, whatever the form', () => {
    // stackprobe names its own sessions: the URL's application_name is not theirs.
    expect(libpqParams('postgres://app:s%40c%3Aret@db.example:6432/prod?sslmode=require&application_name=x&keepalives=0')).toEqual({
      settings: { host: 'db.example', port: '6432', dbname: 'prod', user: 'app', sslmode: 'require', keepalives: '0', ...fixed }, password: 's@c:ret',
    });
    expect(libpqParams('postgresql://db/prod?user=app&password=p%20w&sslrootcert=%2Fca.pem&sslmode=verify-ca')).toEqual({
      settings: { host: 'db', port: '5432', dbname: 'prod', user: 'app', sslmode: 'verify-ca', sslrootcert: '/ca.pem', ...fixed }, password: 'p w',
    });
    expect(libpqParams('postgres://%2Fvar%2Frun%2Fpostgresql/app?user=u&ssl=true&connectionTimeoutMillis=5').settings).toEqual({ host: '/var/run/postgresql', port: '5432', dbname: 'app', user: 'u', sslmode: 'require', ...fixed });
    // no-verify: require with a root certificate that does not exist, so libpq never verifies (docs/connections.md).
    expect(libpqParams('postgres://u@[::1]:5432/d?sslmode=no-verify&sslrootcert=%2Fca.pem', 'other').settings).toEqual({ host: '::1', port: '5432', dbname: 'other', user: 'u', sslmode: 'require', sslrootcert: '/private/none', ...fixed });
    // No sslmode is disable, written out: libpq's own default would be prefer.
    expect(libpqParams('postgres://u@db/d').settings.sslmode).toBe('disable');
  });

  it('writes a service file without the password, and a passfile line that escapes : and \\', () => {
    expect(serviceFile('sp', { host: 'h', dbname: 'd b' })).toBe('[sp]\nhost=h\ndbname=d b\n');
    expect(() => serviceFile('sp', { options: 'x\ny' })).toThrow(/line break/);
    expect(passfileLine('a:b\\c d ')).toBe('*:*:*:*:a\\:b\\\\c d \n');
    expect(() => passfileLine('a\nb')).toThrow(/line break/);
  });
});

describe('the private libpq files', () => {
  it('are mode 0600, hold the password only in the passfile, and the environment only names them', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-t-libpq-'));
    try {
      const env = await libpqEnvFiles(dir, 'scratch', libpqParams('postgres://app@db/prod?password=Sekr3t&passfile=%2Fother&sslmode=verify-full&sslrootcert=%2Fca.pem', 'stackprobe_restore_1'));
      expect(Object.keys(env).sort()).toEqual(['PGPASSFILE', 'PGSERVICE', 'PGSERVICEFILE']);
      expect(JSON.stringify(env)).not.toContain('Sekr3t');
      const svc = await readFile(env.PGSERVICEFILE!, 'utf8');
      expect(svc).toBe('[stackprobe]\nhost=db\nport=5432\ndbname=stackprobe_restore_1\nuser=app\nsslmode=verify-full\nconnect_timeout=10\napplication_name=stackprobe-backup\nsslrootcert=/ca.pem\n');
      expect(await readFile(env.PGPASSFILE!, 'utf8')).toBe('*:*:*:*:Sekr3t\n');
      for (const f of [env.PGSERVICEFILE!, env.PGPASSFILE!]) expect((await stat(f)).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the scratch database', () => {
  it('is created with the source encoding and locale, whatever quotes they hold', () => {
    expect(createDatabaseSql('stackprobe_restore_ab', { encoding: 'LATIN1', provider: 'c', collate: 'C', ctype: 'C', locale: null, icuRules: null }))
      .toBe(`CREATE DATABASE stackprobe_restore_ab TEMPLATE template0 ENCODING E'LATIN1' LC_COLLATE E'C' LC_CTYPE E'C'`);
    expect(createDatabaseSql('x', { encoding: 'UTF8', provider: 'i', collate: 'C.UTF-8', ctype: 'C.UTF-8', locale: 'de-DE', icuRules: "&a < 'b'" }))
      .toContain(`LOCALE_PROVIDER icu ICU_LOCALE E'de-DE' ICU_RULES E'&a < ''b'''`);
    expect(quoteLiteral(`a\\'b`)).toBe(`E'a\\\\''b'`);
  });

  it('carries an owner marker that parses back, and nothing else parses', () => {
    const o = { pid: 42, host: 'h-1', start: '12345' };
    expect(parseOwner(formatOwner(o))).toEqual(o);
    expect(parseOwner('my own database')).toBeUndefined();
    expect(parseOwner(null)).toBeUndefined();
  });
});

describe('reaping dump directories', () => {
  it('removes those whose owner is gone or whose pid now belongs to a later process, keeps live, foreign and unmarked ones', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-t-reap-'));
    try {
      const me = await currentOwner();
      expect(await ownerIsGone(me)).toBe(false);
      const dirs = { live: me, reused: { ...me, start: '1' }, dead: { ...me, pid: 2 ** 22 + 17 }, foreign: { ...me, pid: 2 ** 22 + 17, host: 'another-host' } };
      for (const [name, owner] of Object.entries(dirs)) {
        await mkdir(path.join(root, `stackprobe-dump-${name}`));
        await claimDir(path.join(root, `stackprobe-dump-${name}`), owner);
      }
      await mkdir(path.join(root, 'stackprobe-dump-unmarked'));
      expect((await reapDumpDirs(root)).map((d) => path.basename(d)).sort()).toEqual(['stackprobe-dump-dead', 'stackprobe-dump-reused']);
      for (const kept of ['live', 'foreign', 'unmarked']) expect(existsSync(path.join(root, `stackprobe-dump-${kept}`))).toBe(true);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('sequence positions', () => {
  const f = (sum: string) => ({ rows: 1, sum });
  it('must equal the position at dump time, or lie between before and after when the application moved it', () => {
    expect(sequenceRestoredRight(f('10'), f('10'), f('10'))).toBe(true);
    expect(sequenceRestoredRight(f('1 (not called)'), f('1 (not called)'), f('1 (not called)'))).toBe(true);
    expect(sequenceRestoredRight(f('10'), f('10'), f('9'))).toBe(false);
    expect(sequenceRestoredRight(f('1 (not called)'), f('1 (not called)'), f('1'))).toBe(false);
    expect(sequenceRestoredRight(f('10'), f('20'), f('15'))).toBe(true);
    expect(sequenceRestoredRight(f('10'), f('20'), f('21'))).toBe(false);
    expect(sequenceRestoredRight(f('10'), f('10'), undefined)).toBe(false);
  });
});
