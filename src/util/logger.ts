// The log file: pino writing JSON lines to <output>/stackprobe.log; credentials are redacted before they get here.
import { pino } from 'pino';

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
}

export function createFileLogger(file: string, level: string): FileLogger {
  // Synchronous: the log gets a few lines per check (never per sample), and a sync file survives an early exit intact.
  const dest = pino.destination({ dest: file, sync: true, mkdir: true });
  const log = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, dest);
  return {
    log: log as unknown as Logger,
    close: () =>
      new Promise((resolve) => {
        dest.once('close', () => resolve());
        dest.end();
      }),
  };
}

/** A logger that drops everything, for library use without a log file. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' }) as unknown as Logger;
}
