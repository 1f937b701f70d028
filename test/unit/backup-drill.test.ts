// Pure parts of the restore drill: the pg_dump archive header, WAL segment arithmetic and gaps, restore_command quoting, the pgBackRest config's shape and scrubbing, links out of a folder, and that every child process is started through the one module that builds its environment.
import { mkdtemp, readdir, readFile, rm, symlink, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { linksOutside } from '../../src/checks/backup/drill/confine.js';
import { parsePgBackRestIni, scrubberOf } from '../../src/checks/backup/drill/pgbackrest-config.js';
import { parseArchiveHeader, restoreMajorFor, restoreReads } from '../../src/checks/backup/drill/archive-header.js';
import { pgTimestamp, restoreCommand } from '../../src/checks/backup/drill/physical-source.js';
import { continuity, parseSegment, segmentName } from '../../src/checks/backup/drill/wal.js';

const MB16 = 16 * 1024 * 1024;

function int(v: number): number[] {
  return [v < 0 ? 1 : 0, Math.abs(v) & 0xff, (Math.abs(v) >> 8) & 0xff, (Math.abs(v) >> 16) & 0xff, (Math.abs(v) >> 24) & 0xff];
}
function str(s: string): number[] {
  return [...int(s.length), ...Buffer.from(s)];
}

describe('pg_dump archive header', () => {
  it('reads a 1.14 header (pg_dump 15): time, database, versions', () => {
    const buf = Buffer.from([...Buffer.from('PGDMP'), 1, 14, 0, 4, 8, 1, ...int(-1), ...int(5), ...int(4), ...int(3), ...int(30), ...int(10), ...int(126), ...int(0), ...str('app'), ...str('15.8'), ...str('15.8 (Debian)')]);
    const h = parseArchiveHeader(buf);
    expect(h).toMatchObject({ version: '1.14', database: 'app', serverVersion: '15.8', pgDumpVersion: '15.8 (Debian)', createdAt: { year: 126, mon: 10, mday: 30, hour: 3, min: 4, sec: 5 } });
  });
  it('keeps only the version of a layout it does not know', () => {
    expect(parseArchiveHeader(Buffer.from([...Buffer.from('PGDMP'), 1, 17, 0, 4]))).toEqual({ version: '1.17' });
  });
  it('refuses what is not an archive, naming plain SQL', () => {
    expect(() => parseArchiveHeader(Buffer.from('-- PostgreSQL database dump\n'))).toThrow(/no PGDMP header.*plain SQL/);
  });
  it('knows which pg_restore reads which format', () => {
    expect(restoreMajorFor(14)).toBe(12);
    expect(restoreMajorFor(16)).toBe(17);
    expect(restoreReads(15, 14)).toBe(true);
    expect(restoreReads(15, 15)).toBe(false);
  });
});

describe('WAL continuity', () => {
  it('names segments across a log boundary', () => {
    const s = parseSegment('0000000100000001000000FF', MB16)!;
    expect(s.segno).toBe(511n);
    expect(segmentName(1, 512n, MB16)).toBe('000000010000000200000000');
  });
  it('finds no gap in a complete archive, and names a missing segment', () => {
    const names = ['000000010000000000000002', '000000010000000000000003', '000000010000000000000004', '000000010000000000000005', '00000001.history', '000000010000000000000002.00000028.backup'];
    expect(continuity(names, '000000010000000000000002', MB16)).toEqual({ present: 4, newest: '000000010000000000000005', gaps: [] });
    const gap = continuity(names.filter((n) => !n.endsWith('0003') && !n.endsWith('0004')), '000000010000000000000002', MB16);
    expect(gap.gaps).toEqual([{ from: '000000010000000000000003', to: '000000010000000000000004', count: 2 }]);
  });
  it('follows a newer timeline', () => {
    const c = continuity(['000000010000000000000002', '000000020000000000000003'], '000000010000000000000002', MB16);
    expect(c).toEqual({ present: 2, newest: '000000020000000000000003', gaps: [] });
  });
  it('counts a missing start segment as a gap', () => {
    expect(continuity(['000000010000000000000003'], '000000010000000000000002', MB16).gaps).toEqual([{ from: '000000010000000000000002', to: '000000010000000000000002', count: 1 }]);
  });
});

describe('restore_command', () => {
  it('quotes the archive path for the shell and doubles %', () => {
    expect(restoreCommand("/srv/wal's 100%")).toBe(`cp '/srv/wal'\\''s 100%%'/%f %p`);
  });
});

describe('recovery_target_time', () => {
  it('spells Z as a numeric offset (time zone abbreviations are not loaded when PostgreSQL checks the setting)', () => {
    expect(pgTimestamp('2026-11-30T03:44:41.306631Z')).toBe('2026-11-30 03:44:41.306631+00');
    expect(pgTimestamp('2026-11-30T05:44:41+02:00')).toBe('2026-11-30 05:44:41+02:00');
  });
});

describe('pgBackRest config', () => {
  it('reads sections, settings and comments', () => {
    expect(parsePgBackRestIni('# repo\n[global]\nrepo1-path = /var/lib/pgbackrest\n\n[main]\npg1-path=/data\n', 'f')).toEqual([
      { section: 'global', key: 'repo1-path', value: '/var/lib/pgbackrest' }, { section: 'main', key: 'pg1-path', value: '/data' },
    ]);
  });
  it('refuses what is not one by line number, never quoting the line', () => {
    const shadow = 'root:$y$j9T$abc$HASHHASH:19700:0:99999:7:::\n';
    expect(() => parsePgBackRestIni(shadow, 'x')).toThrow('x is not a pgBackRest configuration file: line 1 is neither a [section], a # comment nor a key=value setting');
    expect(() => parsePgBackRestIni('DB_PASSWORD=hunter2\n', 'x')).toThrow('line 1 is a setting before any [section]');
    expect(() => parsePgBackRestIni('[global]\n=value\n', 'x')).toThrow('line 2 is neither');
    expect(() => parsePgBackRestIni('[global]\nrepo1-path=/a\0b\n', 'x')).toThrow('binary data');
  });
  it('scrubs values from messages, keeping short values and the paths of path options', () => {
    const scrub = scrubberOf(parsePgBackRestIni('[global]\nrepo1-path=/var/lib/pgbackrest\nrepo1-cipher-pass=s3cr3t-pass\nrepo1-s3-key=AKIAXYZ\nstart-fast=y\n', 'f'));
    expect(scrub("invalid cipher s3cr3t-pass and key AKIAXYZ in /var/lib/pgbackrest (start-fast=y)")).toBe('invalid cipher <repo1-cipher-pass of the pgBackRest config> and key <repo1-s3-key of the pgBackRest config> in /var/lib/pgbackrest (start-fast=y)');
  });
});

describe('links out of the drill folder', () => {
  it('names links whose target is outside, relative or absolute, and follows those inside', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'confine-unit-'));
    try {
      const data = path.join(root, 'data');
      await mkdir(path.join(data, 'pg_tblspc'), { recursive: true });
      await mkdir(path.join(root, 'tblspc', '1'), { recursive: true });
      await symlink(path.join(root, 'tblspc', '1'), path.join(data, 'pg_tblspc', '1'));
      await symlink('/var/lib/postgresql/ts', path.join(data, 'pg_tblspc', '2'));
      await symlink('../../..', path.join(data, 'pg_tblspc', '3'));
      await symlink('/etc', path.join(root, 'tblspc', '1', 'inner'));
      // A loop inside the root: walked once, not forever.
      await symlink('..', path.join(root, 'tblspc', '1', 'loop'));
      expect((await linksOutside(data, root)).sort()).toEqual([
        '../tblspc/1/inner -> /etc', 'pg_tblspc/2 -> /var/lib/postgresql/ts', `pg_tblspc/3 -> ${path.dirname(root)}`,
      ]);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('child processes', () => {
  it('are started only through src/util/child.ts, which builds their environment', async () => {
    const src = path.resolve(import.meta.dirname, '../../src');
    const offenders: string[] = [];
    const walk = async (d: string): Promise<void> => {
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (p.endsWith('.ts') && p !== path.join(src, 'util', 'child.ts')) {
          // Type-only imports are fine; any value import of child_process could spawn with an inherited environment.
          const text = await readFile(p, 'utf8');
          if (/^import (?!type )[^;]*from 'node:child_process'/m.test(text) || /require\(['"](node:)?child_process['"]\)|from 'child_process'/.test(text)) offenders.push(path.relative(src, p));
        }
      }
    };
    await walk(src);
    expect(offenders).toEqual([]);
  });
});
