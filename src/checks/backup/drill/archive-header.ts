// Reads the header of a pg_dump custom/directory archive (PGDMP): its format version, when it was made, and by which server and pg_dump.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { openRegular } from './input-file.js';

export interface ArchiveHeader {
  /** Archive format version, e.g. "1.14" (pg_dump 15 writes 1.14, 16 writes 1.15, 17 writes 1.16). */
  version: string;
  /** Set only when the version is one this parser knows the layout of. */
  createdAt?: { sec: number; min: number; hour: number; mday: number; mon: number; year: number };
  database?: string;
  serverVersion?: string;
  pgDumpVersion?: string;
}

/** The newest archive version each pg_restore major reads (pg_backup_archiver.h K_VERS_MAX). */
const MAX_ARCHIVE_BY_MAJOR: Record<number, number> = { 12: 14, 13: 14, 14: 14, 15: 14, 16: 15, 17: 16 };

/** The oldest pg_restore major that reads an archive of this minor version (1.x). */
export function restoreMajorFor(minor: number): number | undefined {
  const majors = Object.entries(MAX_ARCHIVE_BY_MAJOR).filter(([, max]) => max >= minor).map(([m]) => Number(m));
  return majors.length > 0 ? Math.min(...majors) : undefined;
}

export function restoreReads(major: number, minor: number): boolean {
  return (MAX_ARCHIVE_BY_MAJOR[major] ?? (major > 17 ? 99 : 0)) >= minor;
}

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer, private intSize = 4) {}
  byte(): number {
    if (this.pos >= this.buf.length) throw new Error('the archive header ends early');
    return this.buf[this.pos++]!;
  }
  setIntSize(n: number): void {
    if (n < 1 || n > 8) throw new Error(`the archive header says integers are ${n} bytes`);
    this.intSize = n;
  }
  /** pg_dump's ReadInt: a sign byte, then intSize bytes little-endian. */
  int(): number {
    const negative = this.byte() !== 0;
    let v = 0;
    for (let i = 0; i < this.intSize; i++) v += this.byte() * 2 ** (8 * i);
    return negative ? -v : v;
  }
  str(): string | undefined {
    const len = this.int();
    if (len < 0) return undefined;
    if (len > 1024) throw new Error(`the archive header holds a ${len}-byte string`);
    if (this.pos + len > this.buf.length) throw new Error('the archive header ends early');
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len;
    return s;
  }
}

/** Parses the header bytes; throws with the reason when they are not a pg_dump archive. */
export function parseArchiveHeader(buf: Buffer): ArchiveHeader {
  if (buf.length < 5 || buf.toString('latin1', 0, 5) !== 'PGDMP') {
    throw new Error('not a pg_dump custom or directory archive (no PGDMP header; a plain SQL dump is restored with psql, which this drill does not run)');
  }
  const r = new Reader(buf);
  r.pos = 5;
  const vmaj = r.byte();
  const vmin = r.byte();
  const vrev = r.byte();
  const version = `${vmaj}.${vmin}`;
  // A layout we do not know (a newer pg_dump): only the version is trusted, enough to say which pg_restore is needed.
  if (vmaj !== 1 || vmin < 10 || vmin > 16) return { version };
  void vrev;
  r.setIntSize(r.byte());
  r.byte(); // offSize
  r.byte(); // format
  if (vmin >= 15) r.byte(); // compression algorithm
  else r.int(); // compression level
  const [sec, min, hour, mday, mon, year] = [r.int(), r.int(), r.int(), r.int(), r.int(), r.int()];
  r.int(); // isdst
  return { version, createdAt: { sec, min, hour, mday, mon, year }, database: r.str(), serverVersion: r.str(), pgDumpVersion: r.str() };
}

/** The file holding the header: the archive itself, or toc.dat of a directory-format dump. */
export async function headerFile(dumpPath: string): Promise<{ file: string; format: 'custom' | 'directory' }> {
  const s = await stat(dumpPath);
  return s.isDirectory() ? { file: path.join(dumpPath, 'toc.dat'), format: 'directory' } : { file: dumpPath, format: 'custom' };
}

export async function readArchiveHeader(file: string): Promise<ArchiveHeader> {
  const fh = await openRegular(file, 'backup.dump_file');
  try {
    const buf = Buffer.alloc(4096);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return parseArchiveHeader(buf.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** The dump's time as written (pg_dump's local time, struct tm) read in this machine's time zone. */
export function headerDate(h: ArchiveHeader): Date | undefined {
  const c = h.createdAt;
  if (!c) return undefined;
  return new Date(c.year + 1900, c.mon, c.mday, c.hour, c.min, c.sec);
}
