// Pure parts of the restore drill: the pg_dump archive header, WAL segment arithmetic and gaps, restore_command quoting.
import { describe, expect, it } from 'vitest';
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
