// Runs pg_dump/pg_restore as child processes: connection data only in private files named by the environment, killed on abort or timeout.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { redactText } from '../../util/redact.js';

export interface ToolRun {
  /** PGSERVICEFILE/PGSERVICE/PGPASSFILE from libpqEnvFiles: the tool reads its connection from there, never from argv. */
  env: Record<string, string>;
  signal: AbortSignal;
  /** Killed (SIGTERM, then the close rejects) after this long: no wait without a deadline. */
  timeoutMs: number;
  /** Called with the child's pid once it runs (tests read its argv from /proc). */
  onSpawn?: (pid: number) => void;
}

/** Resolves when the tool exits 0; rejects with its first error line (redacted) otherwise, or when the signal aborts. */
export function runTool(file: string, args: string[], opts: ToolRun): Promise<void> {
  const { signal } = opts;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      signal, killSignal: 'SIGTERM', timeout: opts.timeoutMs, stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...opts.env, PGAPPNAME: 'stackprobe-backup' },
    });
    if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('error', (err) => reject(signal.aborted ? signal.reason : err));
    child.on('close', (code, sig) => {
      if (code === 0) return resolve();
      if (signal.aborted) return reject(signal.reason);
      // pg_restore ends with the failed command; the line naming the error is the one a user needs.
      const lines = stderr.trim().split('\n');
      const firstError = lines.find((l) => /error:/i.test(l));
      const tail = redactText((firstError ?? lines.slice(-3).join(' | ')).trim());
      const how = sig ? `was killed (${sig}${sig === 'SIGTERM' ? `, after the ${opts.timeoutMs} ms limit or on abort` : ''})` : `exited with ${code}`;
      reject(new Error(`${path.basename(file)} ${how}${tail ? `: ${tail}` : ''}`));
    });
  });
}
