// Reads a file the user named (config, run.json, latest.json) only when it is a regular file of bounded size: a FIFO
// would block the read forever, /dev/urandom never ends, and a huge file would be held whole in memory.
import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { ConfigError } from './errors.js';

/** Limits, documented in docs/config.md ("Files stackprobe reads"). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
export const MAX_RUN_JSON_BYTES = 64 * 1024 * 1024;
export const MAX_POINTER_BYTES = 64 * 1024;

const mib = (n: number) => (n >= 1024 * 1024 ? `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB` : `${Math.ceil(n / 1024)} KiB`);

function kindOf(s: Stats): string {
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isSocket()) return 'a socket';
  if (s.isDirectory()) return 'a directory';
  return 'something else';
}

const WHY: Record<string, string> = { ENOENT: 'no such file', EACCES: 'permission denied', EPERM: 'permission denied', ELOOP: 'too many symbolic links', ENOTDIR: 'a path component is not a directory' };

function cannotRead(label: string, err: unknown): ConfigError {
  const code = (err as NodeJS.ErrnoException).code;
  return new ConfigError(`${label}: cannot read it (${(code && WHY[code]) ?? code ?? String(err)})`);
}

function checkStats(s: Stats, label: string, maxBytes: number): void {
  if (!s.isFile()) throw new ConfigError(`${label}: cannot read it (it is ${kindOf(s)}, not a regular file)`);
  if (s.size > maxBytes) throw new ConfigError(`${label}: ${mib(s.size)}, larger than the limit of ${mib(maxBytes)} for this file`);
}

/**
 * The file's text. `label` names the file as the message should (`config file x.json`, `baseline.json`). Checked with
 * stat before opening (opening a FIFO without a writer blocks), opened non-blocking and checked again on the handle (the
 * path may have changed in between), and read to at most `maxBytes` (a /proc file reports size 0 and may grow).
 */
export async function readBoundedText(file: string, label: string, maxBytes: number): Promise<string> {
  try {
    checkStats(await stat(file), label, maxBytes);
  } catch (err) {
    throw err instanceof ConfigError ? err : cannotRead(label, err);
  }
  let fh: FileHandle;
  try {
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw cannotRead(label, err);
  }
  try {
    checkStats(await fh.stat(), label, maxBytes);
    const buf = Buffer.alloc(Math.min(maxBytes + 1, 64 * 1024));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw new ConfigError(`${label}: larger than the limit of ${mib(maxBytes)} for this file`);
      chunks.push(Buffer.from(buf.subarray(0, bytesRead)));
    }
    return Buffer.concat(chunks, total).toString('utf8');
  } catch (err) {
    throw err instanceof ConfigError ? err : cannotRead(label, err);
  } finally {
    await fh.close();
  }
}

/** A certificate or key file: a few KiB; a bundle of every public root is under 300 KiB. */
export const MAX_CERT_BYTES = 1024 * 1024;

/**
 * The synchronous twin of readBoundedText for files read while a connection's options are built (a TLS root
 * certificate): the same checks, so a FIFO or a device named as a certificate fails at once instead of blocking.
 */
export function readBoundedFileSync(file: string, label: string, maxBytes: number): Buffer {
  try {
    checkStats(statSync(file), label, maxBytes);
  } catch (err) {
    throw err instanceof ConfigError ? err : cannotRead(label, err);
  }
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw cannotRead(label, err);
  }
  try {
    checkStats(fstatSync(fd), label, maxBytes);
    const buf = Buffer.alloc(maxBytes + 1);
    let total = 0;
    for (;;) {
      const n = readSync(fd, buf, total, buf.length - total, null);
      if (n === 0) break;
      total += n;
      if (total > maxBytes) throw new ConfigError(`${label}: larger than the limit of ${mib(maxBytes)} for this file`);
    }
    return Buffer.from(buf.subarray(0, total));
  } catch (err) {
    throw err instanceof ConfigError ? err : cannotRead(label, err);
  } finally {
    closeSync(fd);
  }
}
