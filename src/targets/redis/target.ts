// The Redis target: the interface checks (cache, load, BullMQ) use, and how it is opened and closed. Owned by the cache category.
import { Redis } from 'ioredis';
import { withTimeout } from '../../exec/timeout.js';
import type { TargetFacts } from '../../result/model.js';
import { describeError, TargetUnavailableError } from '../../util/errors.js';
import { redactText, redactUrl } from '../../util/redact.js';
import { describeRedisError, openWire, redisOptions, wireSpec, type RedisConnectOptions, type RedisWireSpec, type WireSettings } from './connect.js';
import { parseClusterNodes, parseInfo, type ClusterNode } from './info.js';
import { clusterKeyPrefix, removeKeys } from './keys.js';
import type { WireConnection } from './wire/connection.js';
import type { RedisClient } from './types.js';

export type { WireSettings };

export interface RedisTarget {
  readonly kind: 'redis';
  readonly facts: TargetFacts;
  /** A connected client shared by the checks; do not quit it. */
  readonly client: RedisClient;
  /** A new connection (one per virtual user, or for blocking commands); the caller quits it (`ctx.defer`). close() ends any left over. */
  duplicate(): RedisClient;
  /** Every key stackprobe writes starts with this (`stackprobe:<run id>:`), and carries a TTL. */
  readonly keyPrefix: string;
  readonly timeouts: RedisConnectOptions;
  /**
   * A connection of the measuring path (./wire): the URL's credentials, TLS and database, the command timeout; every
   * check that times Redis operations or generates load uses these. The caller closes it; close() ends any left over.
   */
  connectWire(onLost?: (reason: Error) => void): Promise<WireConnection>;
  /** What connectWire uses, for the load's own connections and its worker threads: opaque (connect.ts), it holds the credentials. */
  readonly wire: RedisWireSpec;
  /** Deletes every key under keyPrefix (SCAN + UNLINK, bounded in time); returns how many. Keys outside it are never touched. */
  removeKeys(): Promise<number>;
  /** Removes stackprobe's keys and ends every connection. */
  close(): Promise<void>;
  /** Set when the URL names a Redis Cluster node: its masters, and a way to read each. */
  readonly cluster?: RedisCluster;
}

/**
 * A Redis Cluster as the run found it. stackprobe's keys share one hash tag (see clusterKeyPrefix), so they live on one
 * master, `home`: the shared client, duplicates and the measuring path are connected to it. Everything else reads each
 * master on a connection of its own.
 */
export interface RedisCluster {
  /** Masters serving slots at open, in slot order (CLUSTER NODES of the URL's node). */
  readonly masters: readonly ClusterNode[];
  readonly home: ClusterNode;
  /** The slot of stackprobe's keys (CLUSTER KEYSLOT of the prefix). */
  readonly homeSlot: number;
  /** A connection to one master with the URL's credentials and TLS; the caller quits it (`ctx.defer`), close() ends any left over. */
  connect(master: ClusterNode): Promise<RedisClient>;
}

export interface OpenRedisOptions extends RedisConnectOptions {
  keyPrefix: string;
  private?: boolean;
}

/** ioredis's client is a RedisClient: the target hands its own out as one (so a driver change that breaks it fails the build). */
const asRedisClient = (client: Redis): RedisClient => client;

const FACT_KEYS = ['redis_mode', 'role', 'maxmemory', 'maxmemory_policy', 'os'];

/** Ends a client whatever its state; quit() waits for replies, disconnect() does not, so quit is bounded. */
export async function endClient(client: RedisClient, ms = 2000): Promise<void> {
  if (client.status === 'end') return;
  try {
    await withTimeout(client.quit(), ms, 'quitting a Redis connection');
  } catch (err) {
    // Not answering (stalled or gone): drop the socket instead, which cannot fail.
    void err;
    client.disconnect();
  }
}

const WRONG_PASSWORD = /WRONGPASS|invalid password|invalid username-password/i;

/** The database a URL asks for was refused by the server: the target fails with the server's reason. */
export class RedisDatabaseRefused extends Error {
  override readonly name = 'RedisDatabaseRefused';
}

async function connected(url: string, opts: RedisConnectOptions, address?: { host: string; port: number }): Promise<Redis> {
  const options = { ...redisOptions(url, opts), ...address };
  const client = new Redis(options);
  // Every error event of the attempt (a short, bounded list): a failed AUTH is followed by NOAUTH on the next command,
  // and the first one is the one that says what is wrong.
  const seen: unknown[] = [];
  // Without a listener an 'error' event would crash the process; commands still reject with their own errors.
  client.on('error', (err: unknown) => {
    if (seen.length < 20) seen.push(err);
  });
  try {
    // connect() itself waits through the retry strategy; the connect bound applies to the whole attempt.
    await withTimeout(client.connect(), opts.connectMs + 500, 'connecting to Redis');
    await client.ping();
    // ioredis SELECTs the URL's database on connect, but when the server refuses it (index out of range) it only emits
    // an error and goes on in database 0, where every write would then land. Select it again, and fail on a refusal.
    const db = options.db ?? 0;
    if (db !== 0) {
      try {
        await client.select(db);
      } catch (err) {
        throw new RedisDatabaseRefused(`the server refuses database ${db} of the URL: ${(err as Error).message}`);
      }
    }
    return client;
  } catch (err) {
    client.disconnect();
    if (err instanceof RedisDatabaseRefused) throw err;
    const all = [...seen, err];
    const wrongPassword = all.find((e) => WRONG_PASSWORD.test(String(e)));
    if (wrongPassword) throw wrongPassword;
    const last = seen[seen.length - 1];
    throw last && !/NOAUTH/.test(String(err)) ? last : err;
  }
}

interface ClusterSetup {
  masters: ClusterNode[];
  home: ClusterNode;
  homeSlot: number;
  /** The shared client, connected to `home`. */
  client: Redis;
}

/** Reads the masters (CLUSTER NODES, read-only) and connects to the one serving the prefix's slot; `first` is then closed. */
async function clusterSetup(first: Redis, url: string, opts: RedisConnectOptions, prefix: string): Promise<ClusterSetup> {
  const masters = parseClusterNodes(String(await first.call('CLUSTER', 'NODES')));
  // The server says which slot the prefix's keys hash to: the prefix carries the hash tag, so it is every key's slot.
  const homeSlot = Number(await first.call('CLUSTER', 'KEYSLOT', prefix));
  const home = masters.find((m) => m.slots.some(([a, b]) => homeSlot >= a && homeSlot <= b));
  if (!home) throw new Error(`no master serves slot ${homeSlot}, where stackprobe's keys would go (CLUSTER NODES lists ${masters.length} master(s) with ${masters.reduce((n, m) => n + m.slotCount, 0)} of 16384 slots)`);
  const client = await connected(url, opts, { host: home.host, port: home.port });
  await endClient(first);
  return { masters, home, homeSlot, client };
}

export async function openRedisTarget(url: string, opts: OpenRedisOptions): Promise<RedisTarget> {
  const redacted = redactUrl(url);
  let client: Redis;
  try {
    client = await connected(url, opts);
  } catch (err) {
    throw new TargetUnavailableError(describeRedisError(err, redacted, opts));
  }
  let info: Record<string, string>;
  try {
    info = parseInfo(await client.info());
  } catch (err) {
    client.disconnect();
    throw new TargetUnavailableError(`cannot read INFO from Redis at ${redacted}: ${(err as Error).message}`);
  }
  let keyPrefix = opts.keyPrefix;
  let cluster: ClusterSetup | undefined;
  if (info.cluster_enabled === '1') {
    try {
      keyPrefix = clusterKeyPrefix(opts.keyPrefix);
      cluster = await clusterSetup(client, url, opts, keyPrefix);
      client = cluster.client;
    } catch (err) {
      client.disconnect();
      // CLUSTER NODES refused (an ACL), no master for the prefix's slot, or a master that does not answer.
      throw new TargetUnavailableError(`Redis at ${redacted} is a Cluster node, and its masters cannot be read: ${redactText(describeError(err))}`);
    }
  }
  const duplicates = new Set<Redis>();
  const wires = new Set<WireConnection>();
  // Behind a Sentinel, the measuring path connects to the master the shared client was sent to.
  const address = cluster ? { host: cluster.home.host, port: cluster.home.port }
    : new URL(url).searchParams.has('sentinel') && client.stream.remoteAddress
      ? { host: client.stream.remoteAddress, port: client.stream.remotePort ?? 6379 } : undefined;
  const wire = wireSpec(url, { connectMs: opts.connectMs, commandMs: opts.commandMs, ...(address ? { address } : {}) });
  return {
    kind: 'redis',
    client: asRedisClient(client),
    keyPrefix,
    timeouts: { connectMs: opts.connectMs, commandMs: opts.commandMs },
    facts: {
      kind: 'redis', url: redacted, private: opts.private ?? false, version: info.redis_version ?? 'unknown',
      settings: {
        ...Object.fromEntries(FACT_KEYS.filter((k) => info[k] !== undefined).map((k) => [k, info[k]!])),
        ...(cluster ? { cluster_masters: String(cluster.masters.length), cluster_home: `${cluster.home.address} (slot ${cluster.homeSlot})` } : {}),
      },
    },
    ...(cluster ? { cluster: {
      masters: cluster.masters, home: cluster.home, homeSlot: cluster.homeSlot,
      async connect(master) {
        const c = await connected(url, opts, { host: master.host, port: master.port });
        c.once('end', () => duplicates.delete(c));
        duplicates.add(c);
        return asRedisClient(c);
      },
    } } : {}),
    duplicate() {
      const dup = client.duplicate();
      dup.on('error', () => undefined); // commands reject with their own errors; the event alone must not crash
      dup.once('end', () => duplicates.delete(dup));
      duplicates.add(dup);
      return asRedisClient(dup);
    },
    wire,
    async connectWire(onLost) {
      const conn = await openWire(wire, onLost);
      wires.add(conn);
      return conn;
    },
    removeKeys: () => removeKeys(client, keyPrefix),
    async close() {
      try {
        await removeKeys(client, keyPrefix);
      } finally {
        await Promise.all([...wires].map((w) => w.close()));
        await Promise.all([...duplicates].map((d) => endClient(d)));
        await endClient(client);
      }
    },
  };
}

/**
 * The driver's client behind a RedisClient, for a library that takes an ioredis connection itself (BullMQ): every
 * client a RedisTarget hands out is ioredis's. Not part of the plugin contract.
 */
export const driverRedis = (client: RedisClient): Redis => client as Redis;
