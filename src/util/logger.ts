// The log file: pino writing JSON lines to <output>/stackprobe.log; credentials are redacted before they get here.
import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { describeError, OutputError } from './errors.js';

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export interface FileLogger {
  log: Logger;
  /** Flushes and closes the file. */
  close(): Promise<void>;
  /** Why the log could not be written (a full disk), once a write failed; later lines are dropped, never thrown. */
  failure(): string | undefined;
}

/**
 * Synchronous writes: the log gets a few lines per check (never per sample), and a sync file survives an early exit
 * intact. A failed write (no space left) is kept as a value and the log stops there: logging must never end the run,
 * which then still prints its summary and says the log is incomplete.
 */
export function createFileLogger(file: string, level: string): FileLogger {
  let fd: number;
  try {
    fd = openSync(file, 'a', 0o644);
  } catch (err) {
    throw new OutputError(`cannot write ${path.basename(file)} in ${path.dirname(file)}: ${describeError(err)}`, { cause: err });
  }
  let failed: string | undefined;
  const dest = {
    write(chunk: string): void {
      if (failed !== undefined) return;
      try {
        const bytes = Buffer.from(chunk, 'utf8');
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
      } catch (err) {
        failed = `${path.join(path.dirname(file), path.basename(file))} is incomplete: ${describeError(err)}`;
      }
    },
  };
  const log = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, dest);
  let closed = false;
  return {
    log: log as unknown as Logger,
    close: () => {
      if (!closed) {
        closed = true;
        closeSync(fd);
      }
      return Promise.resolve();
    },
    failure: () => failed,
  };
}

/** A logger that drops everything, for library use without a log file. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' }) as unknown as Logger;
}
