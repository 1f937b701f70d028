// The private PostgreSQL's data directory comes from a template made by initdb once per build: each copy gets its own
// password (the template's opens none of them), a template someone else could have made or opened is not used, and a
// damaged one is replaced while the start still succeeds. Each case has a temp folder of its own.
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../../src/targets/embedded/embedded-pg.js';
import { TEMPLATE_PREFIX } from '../../src/targets/embedded/template.js';

let tmp: string;
let tmpBefore: string | undefined;
const servers: EmbeddedPostgres[] = [];

beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-tpltest-'));
  await chmod(tmp, 0o755); // the server's user (nobody, under root) walks into it
  tmpBefore = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
});

afterEach(async () => {
  for (const s of servers.splice(0)) await s.stop();
  if (tmpBefore === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = tmpBefore;
  await rm(tmp, { recursive: true, force: true });
});

async function start(): Promise<EmbeddedPostgres> {
  const s = await startEmbeddedPostgres();
  servers.push(s);
  return s;
}

async function templates(): Promise<string[]> {
  return (await readdir(tmp)).filter((n) => n.startsWith(TEMPLATE_PREFIX)).map((n) => path.join(tmp, n));
}

/** Connects with this password; the error's SQLSTATE when it is refused. */
async function login(port: number, password: string): Promise<string> {
  const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    await c.end().catch(() => undefined);
  }
}

it('two servers copied from one template have passwords of their own; the template\'s opens neither', async () => {
  const a = await start();
  const [tpl] = await templates();
  expect(tpl).toBeDefined();
  const tplPassword = (await readFile(path.join(tpl!, 'password'), 'utf8')).trim();
  const b = await start();
  expect(await templates()).toEqual([tpl]); // made once, copied for the second
  const pa = decodeURIComponent(new URL(a.url).password);
  const pb = decodeURIComponent(new URL(b.url).password);
  expect(new Set([pa, pb, tplPassword]).size).toBe(3);
  expect(await login(a.port, pa)).toBe('ok');
  expect(await login(b.port, pb)).toBe('ok');
  expect(await login(a.port, tplPassword)).toBe('28P01'); // invalid_password
  expect(await login(b.port, pa)).toBe('28P01');
});

it('a template whose folder others may write to is not used: the server gets a data directory of its own', async () => {
  await (await start()).stop();
  const [tpl] = await templates();
  // Planted: a known password, as someone who could write the folder could have put there.
  await writeFile(path.join(tpl!, 'password'), 'planted\n');
  await chmod(tpl!, 0o777);
  const s = await start();
  expect(await login(s.port, 'planted')).toBe('28P01');
  expect(await login(s.port, decodeURIComponent(new URL(s.url).password))).toBe('ok');
  // Ours, so it was made anew, closed to others again.
  const [remade] = await templates();
  expect(((await stat(remade!)).mode & 0o022)).toBe(0);
  expect((await readFile(path.join(remade!, 'password'), 'utf8')).trim()).not.toBe('planted');
});

it('a damaged template is replaced, and the start that found it still succeeds', async () => {
  await (await start()).stop();
  const [tpl] = await templates();
  await rm(path.join(tpl!, 'data', 'global', 'pg_control'));
  const s = await start();
  expect(await login(s.port, decodeURIComponent(new URL(s.url).password))).toBe('ok');
  expect(await templates()).toEqual([]); // dropped: the start used an initdb of its own
  // The next start makes a sound template again, and copies it.
  const next = await start();
  expect(await login(next.port, decodeURIComponent(new URL(next.url).password))).toBe('ok');
  expect(await templates()).toHaveLength(1);
});
