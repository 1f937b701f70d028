// The targets one check sees: the run's targets, except that every pool and Redis connection the check opens is
// remembered, so a check that overruns its budget can have all of them closed under it.
import type { Redis } from 'ioredis';
import type { Targets } from '../checks/types.js';
import { driverClient, driverPool, type DriverClient, type DriverPool, type DriverPooledClient, type PgTarget } from '../targets/pg/target.js';
import type { PgPool } from '../targets/pg/types.js';
import { endClient, type RedisTarget } from '../targets/redis/target.js';
import type { WireConnection } from '../targets/redis/wire/connection.js';
import { withTimeout } from '../exec/timeout.js';
import { SessionWatch } from '../targets/pg/lost-session.js';
import type { MeasureSession } from '../targets/pg/wire/session.js';

export interface ScopedTargets {
  targets: Targets;
  /** Sessions of the check the server or the network ended while it ran (a lost session fails its check). */
  watch: SessionWatch;
  /** Stops noting lost sessions: the check has finished, and its cleanup may end sessions or reconnect. */
  stopWatching(): void;
  /** Ends every session the check opened (pooled clients included, checked out or not); bounded, never throws. */
  closeAll(): Promise<void>;
}

/** Waits for `p` at most `ms` (a kept-alive timer: a promise nothing settles cannot end the process); never throws. */
const bounded = (p: Promise<unknown>, ms: number): Promise<unknown> => withTimeout(p, ms, 'closing a session').catch(() => undefined);

/**
 * Ends a pool's sessions now: `pool.end()` alone waits for checked-out clients, which a stuck check never releases.
 * The server is told first: a backend busy in a long statement does not notice its client went away until it reads.
 */
async function endPoolNow(admin: PgPool, pool: DriverPool, clients: Set<DriverPooledClient>): Promise<void> {
  // Ended by the check itself: its clients were closed with it.
  if (pool.ended && pool.totalCount === 0) return;
  const pids = [...clients].map((c) => (c as unknown as { processID?: number }).processID).filter((p): p is number => typeof p === 'number');
  if (pids.length) await bounded(admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]), 2000);
  for (const client of clients) {
    // end() closes the socket: a query still waiting on it rejects with "Connection terminated".
    await bounded(client.end(), 1000);
  }
  if (!pool.ended) await bounded(pool.end(), 1000);
}

interface TrackedPool {
  pool: DriverPool;
  clients: Set<DriverPooledClient>;
}

/** What a check opened on PostgreSQL: pools, single clients, measuring sessions (the wire client's). */
interface TrackedPg {
  pools: TrackedPool[];
  clients: DriverClient[];
  sessions: MeasureSession[];
}

/** Ends single clients and measuring sessions now, the server told first (as endPoolNow). */
async function endSessionsNow(admin: PgPool, t: TrackedPg): Promise<void> {
  // Only sessions still open: a pid of one the check already closed may belong to someone else's backend by now.
  const open = t.clients.filter((c) => {
    const state = c as unknown as { _connected?: boolean; _ending?: boolean; _ended?: boolean };
    return state._connected === true && !state._ending && !state._ended;
  });
  const live = t.sessions.filter((s) => s.lost === undefined);
  const pids = [...open.map((c) => (c as unknown as { processID?: number }).processID), ...live.map((s) => s.pid)]
    .filter((p): p is number => typeof p === 'number' && p > 0);
  if (pids.length) await bounded(admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]), 2000);
  await Promise.all([...t.clients.map((c) => bounded(c.end(), 1000)), ...t.sessions.map((s) => bounded(s.close(), 1000))]);
}

function scopePg(base: PgTarget, tracked: TrackedPg, watch: SessionWatch): PgTarget {
  const { pools } = tracked;
  return {
    ...base,
    onSession: (s) => void tracked.sessions.push(s),
    createClient(options) {
      const client = driverClient(base.createClient(options));
      tracked.clients.push(client);
      watch.watchClient(client, options?.applicationName ?? 'stackprobe');
      return client;
    },
    createPool(options) {
      const pool = driverPool(base.createPool(options));
      const clients = new Set<DriverPooledClient>();
      pool.on('connect', (c) => {
        clients.add(c);
        watch.watchClient(c, options?.applicationName ?? 'stackprobe');
      });
      pool.on('remove', (c) => void clients.delete(c));
      pools.push({ pool, clients });
      return pool;
    },
  };
}

function scopeRedis(base: RedisTarget, connections: Redis[], wires: WireConnection[]): RedisTarget {
  return {
    kind: base.kind, facts: base.facts, client: base.client, keyPrefix: base.keyPrefix, timeouts: base.timeouts, wire: base.wire,
    ...(base.cluster ? { cluster: base.cluster } : {}),
    removeKeys: () => base.removeKeys(),
    close: () => base.close(),
    duplicate() {
      const c = base.duplicate();
      connections.push(c);
      return c;
    },
    async connectWire(onLost) {
      const w = await base.connectWire(onLost);
      wires.push(w);
      return w;
    },
  };
}

export function scopeTargets(targets: Targets): ScopedTargets {
  const pg: TrackedPg = { pools: [], clients: [], sessions: [] };
  const connections: Redis[] = [];
  const wires: WireConnection[] = [];
  const scoped: Targets = { ...targets };
  const watch = new SessionWatch();
  let unwatchAdmin = () => undefined as void;
  if (targets.pg) {
    scoped.pg = scopePg(targets.pg, pg, watch);
    unwatchAdmin = watch.watchPool(driverPool(targets.pg.admin), 'stackprobe (the shared catalog session)');
  }
  if (targets.redis) scoped.redis = scopeRedis(targets.redis, connections, wires);
  const stopWatching = () => {
    watch.stop();
    unwatchAdmin();
  };
  return {
    targets: scoped,
    watch,
    stopWatching,
    async closeAll() {
      // What is closed here is closed on purpose: not a lost session.
      stopWatching();
      await Promise.all([
        ...pg.pools.map(({ pool, clients }) => endPoolNow(targets.pg!.admin, pool, clients)),
        ...(targets.pg ? [endSessionsNow(targets.pg.admin, pg)] : []),
        ...connections.map((c) => endClient(c, 500)),
        ...wires.map((w) => w.close(500)),
      ]);
    },
  };
}
