// Private libpq files for a child tool (pg_dump, pg_restore, psql): a service file and a passfile, mode 0600, from the
// target's connection spec, so the tool gets no connection data in argv or its environment.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LibpqSettings } from './spec-clients.js';

/** A service file section; libpq reads `key=value` to the end of the line and trims, so such values cannot be written. */
export function serviceFile(name: string, settings: Record<string, string>): string {
  const lines = [`[${name}]`];
  for (const [key, value] of Object.entries(settings)) {
    if (/[\r\n]/.test(value) || value !== value.trim()) throw new Error(`the connection setting ${key} has a line break or edge spaces that libpq's service file cannot carry`);
    lines.push(`${key}=${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A passfile line matching any server: `:` and `\` escaped as libpq reads them. */
export function passfileLine(password: string): string {
  if (/[\r\n]/.test(password)) throw new Error('the password has a line break, which a libpq passfile cannot carry');
  return `*:*:*:*:${password.replace(/[\\:]/g, (c) => `\\${c}`)}\n`;
}

const SERVICE = 'stackprobe';

/** A file name in `dir` that is never written: sslrootcert for no-verify (spec-clients.ts, libpqSettings). */
export const noRootCertIn = (dir: string) => path.join(dir, 'no-root-certificate');

/**
 * Writes the service file and passfile into `dir` (the caller's private 0700 directory, removed by the caller) and
 * returns the environment that points libpq at them. Nothing secret goes into argv or the environment.
 */
export async function libpqEnvFiles(dir: string, label: string, libpq: LibpqSettings): Promise<Record<string, string>> {
  const svc = path.join(dir, `pg_service-${label}.conf`);
  await writeFile(svc, serviceFile(SERVICE, libpq.settings), { mode: 0o600 });
  const env: Record<string, string> = { PGSERVICEFILE: svc, PGSERVICE: SERVICE };
  if (libpq.password !== undefined) {
    const pass = path.join(dir, `pgpass-${label}`);
    await writeFile(pass, passfileLine(libpq.password), { mode: 0o600 });
    env.PGPASSFILE = pass;
  }
  return env;
}
