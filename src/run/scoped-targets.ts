// The targets one check sees: the run's targets, except that every pool and Redis connection the check opens is
// remembered, so a check that overruns its budget can have all of them closed under it.
import type { Targets } from '../checks/types.js';
import { endClient, type RedisTarget } from '../targets/redis/target.js';
import type { RedisClient } from '../targets/redis/types.js';
import type { WireConnection } from '../targets/redis/wire/connection.js';
import { SessionWatch } from '../targets/pg/lost-session.js';

export interface ScopedTargets {
  targets: Targets;
  /** Sessions of the check the server or the network ended while it ran (a lost session fails its check). */
  watch: SessionWatch;
  /** Stops noting lost sessions: the check has finished, and its cleanup may end sessions or reconnect. */
  stopWatching(): void;
  /** Ends every session the check opened (pooled clients included, checked out or not); bounded, never throws. */
  closeAll(): Promise<void>;
}

function scopeRedis(base: RedisTarget, connections: RedisClient[], wires: WireConnection[]): RedisTarget {
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
  const connections: RedisClient[] = [];
  const wires: WireConnection[] = [];
  const scoped: Targets = { ...targets };
  const watch = new SessionWatch();
  // The target remembers and watches what the check opens on PostgreSQL (src/targets/pg/scope.ts).
  const pg = targets.pg?.scope(watch);
  if (pg) scoped.pg = pg.target;
  if (targets.redis) scoped.redis = scopeRedis(targets.redis, connections, wires);
  const stopWatching = () => {
    watch.stop();
    pg?.stopWatching();
  };
  return {
    targets: scoped,
    watch,
    stopWatching,
    async closeAll() {
      // What is closed here is closed on purpose: not a lost session.
      stopWatching();
      await Promise.all([
        ...(pg ? [pg.closeAll()] : []),
        ...connections.map((c) => endClient(c, 500)),
        ...wires.map((w) => w.close(500)),
      ]);
    },
  };
}
