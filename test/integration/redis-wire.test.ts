// The Redis measuring path (src/targets/redis/wire) against a private redis-server: TLS with a self-signed certificate
// made here, requirepass and an ACL user, SELECT, error replies, a stalled server (SIGSTOP), a connection killed
// mid-pipeline; and the cache checks on it over TLS with a hostile key prefix, leaving nothing behind.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheLatencyCheck } from '../../src/checks/cache/index.js';
import { waitFor } from '../../src/exec/timeout.js';
import { openRedisTarget } from '../../src/targets/redis/target.js';
import { runKeyPrefix } from '../../src/targets/redis/keys.js';
import { RedisConnectionError, WireConnection, type WireOptions } from '../../src/targets/redis/wire/connection.js';
import { RedisReplyError } from '../../src/targets/redis/wire/resp.js';
import { pipeline } from '../../src/targets/redis/wire/commands.js';
import { keysMatching, rawClient, runCacheCheck, startPrivateRedis, type PrivateRedis } from '../helpers/redis.js';

const OPTS: WireOptions = { connectMs: 2000, commandMs: 2000 };
const ACL_USER = 'stackprobe-wire-test';
const ACL_PASSWORD = 'acl-pw-Xq7+/;@';

let dir: string;
let srv: PrivateRedis;
let raw: Redis;
let password: string;
let tlsPort: number;
let ca: string;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

/** A URL of the private server: TLS port or plain, optional credentials (encoded), database and query. */
function url(o: { tls?: boolean; user?: string; pass?: string; db?: number; query?: string } = {}): string {
  const cred = o.pass !== undefined ? `${o.user ? encodeURIComponent(o.user) : ''}:${encodeURIComponent(o.pass)}@` : '';
  return `${o.tls ? 'rediss' : 'redis'}://${cred}127.0.0.1:${o.tls ? tlsPort : srv.port}/${o.db ?? ''}${o.query ? `?${o.query}` : ''}`;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'stackprobe-wire-'));
  ca = path.join(dir, 'cert.pem');
  // A self-signed certificate for 127.0.0.1: the server's certificate is its own CA.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=stackprobe-test',
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', path.join(dir, 'key.pem'), '-out', ca], { stdio: 'ignore' });
  tlsPort = await freePort();
  srv = await startPrivateRedis({ args: ['--tls-port', String(tlsPort), '--tls-cert-file', ca, '--tls-key-file', path.join(dir, 'key.pem'), '--tls-ca-cert-file', ca, '--tls-auth-clients', 'no'] });
  password = decodeURIComponent(new URL(srv.url).password);
  raw = rawClient(srv.url);
  await raw.call('ACL', 'SETUSER', ACL_USER, 'on', `>${ACL_PASSWORD}`, '~stackprobe:*', '+@all');
}, 30_000);

afterAll(async () => {
  await raw?.quit();
  await srv?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('connecting', () => {
  it('speaks TLS with the CA file of ?tls_ca, refuses the self-signed certificate without it, and skips the check with tls_insecure', async () => {
    const c = await WireConnection.connect(url({ tls: true, pass: password, query: `tls_ca=${encodeURIComponent(ca)}` }), OPTS);
    expect(await c.call(['SET', 'stackprobe:wire:tls', 'über'])).toBe('OK');
    expect(await c.call(['GET', 'stackprobe:wire:tls'])).toBe('über');
    expect(await c.call(['GET', 'stackprobe:wire:tls'], false)).toBe(true);
    await c.call(['DEL', 'stackprobe:wire:tls']);
    await c.close();
    await expect(WireConnection.connect(url({ tls: true, pass: password }), OPTS)).rejects.toThrow(/self[- ]signed|certificate/i);
    const insecure = await WireConnection.connect(url({ tls: true, pass: password, query: 'tls_insecure=true' }), OPTS);
    expect(await insecure.call(['PING'])).toBe('PONG');
    await insecure.close();
    await expect(WireConnection.connect(url({ tls: true, pass: password, query: 'tls_ca=/nonexistent/ca.pem' }), OPTS)).rejects.toThrow(/tls_ca file \/nonexistent\/ca.pem: cannot read it \(no such file\)/);
  });

  it('logs in with requirepass or an ACL user, says NOAUTH or WRONGPASS otherwise (without the password), and selects the database', async () => {
    const acl = await WireConnection.connect(url({ user: ACL_USER, pass: ACL_PASSWORD, db: 3 }), OPTS);
    expect(await acl.call(['ACL', 'WHOAMI'])).toBe(ACL_USER);
    await acl.call(['SET', 'stackprobe:wire:db', '1', 'EX', '60']);
    await acl.close();
    const inDb3 = rawClient(url({ pass: password, db: 3 }));
    try {
      expect(await inDb3.get('stackprobe:wire:db')).toBe('1');
      expect(await raw.exists('stackprobe:wire:db')).toBe(0); // not in database 0
      await inDb3.del('stackprobe:wire:db');
    } finally {
      await inDb3.quit();
    }
    const noAuth = await WireConnection.connect(url(), OPTS).then(() => undefined, (e: unknown) => e);
    expect(noAuth).toBeInstanceOf(RedisReplyError);
    expect((noAuth as RedisReplyError).prefix).toBe('NOAUTH');
    const wrong = await WireConnection.connect(url({ user: ACL_USER, pass: 'not-the-password' }), OPTS).then(() => undefined, (e: unknown) => e);
    expect((wrong as RedisReplyError).prefix).toBe('WRONGPASS');
    expect(String(wrong)).not.toContain('not-the-password');
    const refused = await WireConnection.connect(url({ pass: password, db: 99 }), OPTS).then(() => undefined, (e: unknown) => e);
    expect(String(refused)).toMatch(/DB index is out of range/);
  });
});

describe('errors', () => {
  it('surfaces an error reply with its prefix (alone, and inside a pipeline), and the connection goes on', async () => {
    const c = await WireConnection.connect(srv.url, OPTS);
    try {
      await c.call(['RPUSH', 'stackprobe:wire:list', 'a']);
      const err = await c.call(['GET', 'stackprobe:wire:list']).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(RedisReplyError);
      expect((err as RedisReplyError).prefix).toBe('WRONGTYPE');
      const outcome = await c.batch('*2\r\n$3\r\nGET\r\n$14\r\nstackprobe:x:y\r\n*2\r\n$3\r\nGET\r\n$20\r\nstackprobe:wire:list\r\n*1\r\n$4\r\nPING\r\n', 3);
      expect(outcome).toMatchObject({ errors: 1, nils: 1 });
      expect(outcome.firstError?.prefix).toBe('WRONGTYPE');
      await expect(pipeline(c, [['SET', 'stackprobe:wire:s', '1', 'EX', '60'], ['INCR', 'stackprobe:wire:list']])).rejects.toThrow(/^WRONGTYPE/);
      expect(await c.call(['PING'])).toBe('PONG');
    } finally {
      await c.call(['DEL', 'stackprobe:wire:list', 'stackprobe:wire:s']);
      await c.close();
    }
  });

  it('fails every command in flight on a stalled server (SIGSTOP) within the command timeout, and a connect to it within the connect timeout', async () => {
    const pid = Number(/process_id:(\d+)/.exec(await raw.info('server'))![1]);
    const lost: Error[] = [];
    const c = await WireConnection.connect(srv.url, { connectMs: 500, commandMs: 400, onLost: (e) => lost.push(e) });
    process.kill(pid, 'SIGSTOP');
    try {
      const t0 = performance.now();
      const results = await Promise.allSettled([c.call(['PING']), c.batch('*1\r\n$4\r\nPING\r\n'.repeat(16), 16), c.call(['GET', 'stackprobe:wire:k'])]);
      const took = performance.now() - t0;
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/TimeoutError: Redis command timed out: no answer within 400 ms/);
      expect(took).toBeGreaterThanOrEqual(400);
      expect(took).toBeLessThan(400 + 100 + 300); // timeout + one sweep (commandMs / 4) + slack
      expect(lost).toHaveLength(1);
      await expect(c.call(['PING'])).rejects.toThrow(/timed out/); // the connection stays failed, never hangs
      const c0 = performance.now();
      // The TCP handshake succeeds (the kernel accepts), AUTH gets no answer: whichever bound comes first ends it.
      await expect(WireConnection.connect(srv.url, { connectMs: 500, commandMs: 400 })).rejects.toThrow(/timed out/);
      expect(performance.now() - c0).toBeLessThan(1500);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect(await raw.ping()).toBe('PONG');
  });

  it('fails a pipeline whose connection is killed mid-way (CLIENT KILL) with a connection error, once, without a crash', async () => {
    const lost: Error[] = [];
    const c = await WireConnection.connect(srv.url, { ...OPTS, onLost: (e) => lost.push(e) });
    const id = String(await c.call(['CLIENT', 'ID']));
    // The pipeline's middle command blocks (BLPOP on an empty list): the kill lands after its first reply, before its last.
    // Its outcome is taken at once: the kill can reject it while the test still awaits CLIENT KILL's own reply.
    const pending = c.batch('*1\r\n$4\r\nPING\r\n*3\r\n$5\r\nBLPOP\r\n$21\r\nstackprobe:wire:empty\r\n$1\r\n5\r\n*1\r\n$4\r\nPING\r\n', 3).then(() => undefined, (err: unknown) => err);
    await waitFor(async () => new RegExp(`id=${id} .*cmd=blpop`).test(String(await raw.call('CLIENT', 'LIST'))), 3000, 'the pipeline to block');
    await raw.call('CLIENT', 'KILL', 'ID', id);
    expect(await pending).toBeInstanceOf(RedisConnectionError);
    expect(lost).toHaveLength(1);
    await expect(c.call(['PING'])).rejects.toThrow(/closed by the server or the network/);
  });
});

describe('the cache checks on it', () => {
  it('cache.latency over TLS with an ACL user and a hostile key prefix: PING beside each operation, no credential in the result, nothing left behind', async () => {
    // Glob and RESP characters in the prefix: a pattern built carelessly would match (and delete) the planted keys.
    const hostile = 'stackprobe:*?[a-z]\\\r\n ';
    await raw.set('stackprobe:victim', 'keep');
    await raw.set('stackprobe:a', 'keep');
    const target = await openRedisTarget(url({ tls: true, user: ACL_USER, pass: ACL_PASSWORD, query: `tls_ca=${encodeURIComponent(ca)}` }), { connectMs: 2000, commandMs: 2000, keyPrefix: runKeyPrefix(hostile) });
    let ttls: Promise<number[]> | undefined;
    // Mid-run, every key the check wrote carries a TTL: a run killed before its clean-up leaves keys that expire.
    const sample = async () => Promise.all((await keysMatching(raw, 'stackprobe:\\*\\?*')).map((k) => raw.pttl(k)));
    try {
      const r = await runCacheCheck(cacheLatencyCheck, target, { cache: { duration_s: 0.3, key_space: 200 } }, undefined, (text) => {
        if (/^pipeline/.test(text)) ttls ??= sample();
      });
      // Every operation succeeded on every connection; the latency thresholds are left out: a busy machine is no defect.
      const failed = r.thresholds.filter((t) => !t.ok && !t.metric.startsWith('cache_op_duration'));
      expect(failed).toEqual([]);
      expect(r.findings.filter((f) => f.severity === 'error')).toEqual([]);
      const share = r.info as Record<string, Record<string, number>>;
      for (const op of ['get', 'set', 'mget', 'pipeline']) {
        expect(share[`client_share_${op}`]).toMatchObject({ p50_ms: expect.any(Number), ping_p50_ms: expect.any(Number) });
        expect(share[`client_share_${op}`]!.ping_p50_ms).toBeGreaterThan(0);
      }
      const ping = r.metrics.find((m) => m.name === 'cache_ping_duration' && m.tags.op === 'get');
      expect(ping).toMatchObject({ type: 'trend', meaning: 'duration' });
      expect(JSON.stringify(r)).not.toContain(ACL_PASSWORD);
    } finally {
      await target.close();
    }
    const seen = await ttls!;
    expect(seen.length).toBeGreaterThanOrEqual(200);
    expect(seen.every((t) => t > 0)).toBe(true);
    expect(await keysMatching(raw, 'stackprobe:\\**')).toEqual([]);
    expect(await raw.get('stackprobe:victim')).toBe('keep');
    expect(await raw.get('stackprobe:a')).toBe('keep');
    await raw.del('stackprobe:victim', 'stackprobe:a');
  }, 30_000);
});
