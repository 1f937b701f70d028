// Runs pg_dump/pg_restore as child processes: credentials passed in the environment (never argv), killed on abort, stderr kept for errors.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { redactText } from '../../util/redact.js';

/** libpq settings from a URL: the password goes into PGPASSWORD so it never shows in `ps`. */
export function libpqEnv(url: string): { dbname: string; env: Record<string, string> } {
  const u = new URL(url);
  const env: Record<string, string> = {};
  if (u.password) env.PGPASSWORD = decodeURIComponent(u.password);
  u.password = '';
  return { dbname: u.toString(), env };
}

/** Resolves when the tool exits 0; rejects with its last stderr lines (redacted) otherwise, or when the signal aborts. */
export function runTool(file: string, args: string[], url: string, signal: AbortSignal): Promise<void> {
  const { dbname, env } = libpqEnv(url);
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args, `--dbname=${dbname}`], {
      signal, killSignal: 'SIGTERM', stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env, PGAPPNAME: 'stackprobe-backup', PGCONNECT_TIMEOUT: '10' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.on('error', (err) => reject(signal.aborted ? signal.reason : err));
    child.on('close', (code, sig) => {
      if (code === 0) return resolve();
      // pg_restore ends with the failed command; the line naming the error is the one a user needs.
      const lines = stderr.trim().split('\n');
      const firstError = lines.find((l) => /error:/i.test(l));
      const tail = redactText((firstError ?? lines.slice(-3).join(' | ')).trim());
      reject(new Error(`${path.basename(file)} ${sig ? `was killed (${sig})` : `exited with ${code}`}${tail ? `: ${tail}` : ''}`));
    });
  });
}
