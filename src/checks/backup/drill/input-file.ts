// Paths the config names (a dump, a base backup, a WAL archive, a pgBackRest config) checked for kind and size before anything opens them: a FIFO or a device never blocks the run, and a wrong file is named with its problem, never its bytes.
import { constants, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';

export type Kind = 'file' | 'directory';

/** What a path is, in words for a message. */
export function kindOf(s: Stats): string {
  if (s.isFile()) return 'a regular file';
  if (s.isDirectory()) return 'a directory';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

export interface InputRule {
  /** The config field, for the message: "backup.dump_file". */
  field: string;
  kinds: Kind[];
  /** A regular file larger than this is refused (a config file read whole). */
  maxBytes?: number;
  /** A regular file must hold at least one byte. */
  nonEmpty?: boolean;
}

export class InputError extends Error {}

/** The path's kind, or an InputError naming the field, the path and what is wrong with it. */
export async function checkInput(file: string, rule: InputRule): Promise<{ kind: Kind; size: number }> {
  const s = await stat(file).catch((err: NodeJS.ErrnoException) => { throw new InputError(`${rule.field} ${file} cannot be used: ${err.code === 'ENOENT' ? 'it does not exist' : err.message}`); });
  const kind: Kind | undefined = s.isFile() ? 'file' : s.isDirectory() ? 'directory' : undefined;
  if (!kind || !rule.kinds.includes(kind)) {
    throw new InputError(`${rule.field} ${file} is ${kindOf(s)}; expected ${rule.kinds.map((k) => (k === 'file' ? 'a regular file' : 'a directory')).join(' or ')}`);
  }
  if (kind === 'file' && rule.maxBytes !== undefined && s.size > rule.maxBytes) throw new InputError(`${rule.field} ${file} is ${s.size} bytes, more than the ${rule.maxBytes} bytes such a file can be: is it the right file?`);
  if (kind === 'file' && rule.nonEmpty && s.size === 0) throw new InputError(`${rule.field} ${file} is empty`);
  return { kind, size: s.size };
}

/**
 * Opens a regular file for reading without ever blocking: O_NONBLOCK makes a FIFO swapped in after the check open at
 * once (and then be refused by fstat) instead of waiting for a writer that never comes.
 */
export async function openRegular(file: string, field: string) {
  const fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK).catch((err: Error) => { throw new InputError(`${field} ${file} cannot be opened: ${err.message}`); });
  const s = await fh.stat();
  if (!s.isFile()) {
    await fh.close();
    throw new InputError(`${field} ${file} is ${kindOf(s)}; expected a regular file`);
  }
  return fh;
}

/** A regular file read whole, at most `maxBytes`. */
export async function readRegular(file: string, field: string, maxBytes: number): Promise<Buffer> {
  const fh = await openRegular(file, field);
  try {
    const s = await fh.stat();
    if (s.size > maxBytes) throw new InputError(`${field} ${file} is ${s.size} bytes, more than the ${maxBytes} bytes such a file can be: is it the right file?`);
    const buf = Buffer.alloc(s.size);
    const { bytesRead } = await fh.read(buf, 0, s.size, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
