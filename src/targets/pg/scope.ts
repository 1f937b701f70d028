// A PostgreSQL target as one check sees it: every pool, client and measuring session the check opens is remembered and
// watched, so a lost session fails the check and an overrun check has all of them ended under it. Driver state is
// read here, beside the driver, so the run reaches it through PgTarget.scope() alone.
import type pg from 'pg';
import { withTimeout } from '../../exec/timeout.js';
import type { SessionWatch } from './lost-session.js';
import type { PgTarget } from './target.js';
import type { PgPool } from './types.js';
import type { MeasureSession } from './wire/session.js';

export interface ScopedPg {
  /** The check's copy of the target. */
  readonly target: PgTarget;
  /** Stops noting lost sessions: the check has finished, and its cleanup may end sessions or reconnect. */
  stopWatching(): void;
  /** Ends every session the check opened (pooled clients included, checked out or not); bounded, never throws. */
  closeAll(): Promise<void>;
}

/** node-postgres's state of a client that it does not declare: the backend's pid and whether it is open. */
interface ClientState {
  processID?: number;
  _connected?: boolean;
  _ending?: boolean;
  _ended?: boolean;
}
const stateOf = (client: pg.ClientBase) => client as unknown as ClientState;
const pidsOf = (pids: Array<number | undefined>): number[] => pids.filter((p): p is number => typeof p === 'number' && p > 0);

/** Waits for `p` at most `ms` (a kept-alive timer: a promise nothing settles cannot end the process); never throws. */
const bounded = (p: Promise<unknown>, ms: number): Promise<unknown> => withTimeout(p, ms, 'closing a session').catch(() => undefined);

const terminate = (admin: PgPool, pids: number[]) =>
  pids.length ? bounded(admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]), 2000) : Promise.resolve();

interface TrackedPool {
  pool: pg.Pool;
  clients: Set<pg.PoolClient>;
}

/**
 * Ends a pool's sessions now: `pool.end()` alone waits for checked-out clients, which a stuck check never releases.
 * The server is told first: a backend busy in a long statement does not notice its client went away until it reads.
 */
async function endPoolNow(admin: PgPool, { pool, clients }: TrackedPool): Promise<void> {
  // Ended by the check itself: its clients were closed with it.
  if (pool.ended && pool.totalCount === 0) return;
  await terminate(admin, pidsOf([...clients].map((c) => stateOf(c).processID)));
  // end() closes the socket: a query still waiting on it rejects with "Connection terminated".
  for (const client of clients) await bounded(client.end(), 1000);
  if (!pool.ended) await bounded(pool.end(), 1000);
}

/** Ends single clients and measuring sessions now, the server told first (as endPoolNow). */
async function endSessionsNow(admin: PgPool, clients: pg.Client[], sessions: MeasureSession[]): Promise<void> {
  // Only sessions still open: a pid of one the check already closed may belong to someone else's backend by now.
  const open = clients.map(stateOf).filter((s) => s._connected === true && !s._ending && !s._ended);
  const live = sessions.filter((s) => s.lost === undefined);
  await terminate(admin, pidsOf([...open.map((s) => s.processID), ...live.map((s) => s.pid)]));
  await Promise.all([...clients.map((c) => bounded(c.end(), 1000)), ...sessions.map((s) => bounded(s.close(), 1000))]);
}

/** `base`'s pools and clients are node-postgres's (target.ts makes them), so their events and state can be read. */
export function scopePg(base: PgTarget, watch: SessionWatch): ScopedPg {
  const pools: TrackedPool[] = [];
  const clients: pg.Client[] = [];
  const sessions: MeasureSession[] = [];
  const target: PgTarget = {
    ...base,
    onSession: (s) => void sessions.push(s),
    createClient(options) {
      const client = base.createClient(options) as pg.Client;
      clients.push(client);
      watch.watchClient(client, options?.applicationName ?? 'stackprobe');
      return client;
    },
    createPool(options) {
      const pool = base.createPool(options) as pg.Pool;
      const tracked: TrackedPool = { pool, clients: new Set() };
      pool.on('connect', (c) => {
        tracked.clients.add(c);
        watch.watchClient(c, options?.applicationName ?? 'stackprobe');
      });
      pool.on('remove', (c) => void tracked.clients.delete(c));
      pools.push(tracked);
      return pool;
    },
  };
  const unwatchAdmin = watch.watchPool(base.admin, 'stackprobe (the shared catalog session)');
  const stopWatching = () => {
    watch.stop();
    unwatchAdmin();
  };
  return {
    target,
    stopWatching,
    async closeAll() {
      // What is closed here is closed on purpose: not a lost session.
      stopWatching();
      await Promise.all([...pools.map((p) => endPoolNow(base.admin, p)), endSessionsNow(base.admin, clients, sessions)]);
    },
  };
}
