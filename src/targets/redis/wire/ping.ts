// The client's own share of a latency: a PING on each measuring connection now and then, beside the real commands.
import type { RedisCaller } from './commands.js';
import type { WireConnection } from './connection.js';

const PING = '*1\r\n$4\r\nPING\r\n';

/**
 * Every `everyMs`, each connection without a PING of its own in flight sends one, queued behind whatever the real
 * operations have in flight on it, and `record` gets its round trip (ms). A PING costs the server next to nothing, so
 * its latency is what the network, the connection's queue and this client add to every command: the floor under a
 * GET's p50. At 10 ms it adds 100 commands a second per connection, nothing next to the load measured.
 */
export function startPings(conns: readonly WireConnection[], record: (ms: number) => void, everyMs = 10): { stop(): void } {
  const waiting = new Uint8Array(conns.length);
  const timer = setInterval(() => {
    conns.forEach((c, i) => {
      if (waiting[i] || c.lost) return;
      waiting[i] = 1;
      const t0 = performance.now();
      c.send(PING, 1, (err) => {
        waiting[i] = 0;
        // A failed PING is the connection's failure: the operations on it fail and report it; no latency to record.
        if (!err) record(performance.now() - t0);
      });
    });
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/** The same beside a load's reconnecting connection: one PING at a time, none while it reconnects after a loss. */
export function startPingsOn(redis: RedisCaller, record: (ms: number) => void, everyMs = 10): { stop(): void } {
  let waiting = false;
  const timer = setInterval(() => {
    if (waiting) return;
    waiting = true;
    const t0 = performance.now();
    redis.batch(PING, 1).then(
      () => record(performance.now() - t0),
      // A failed PING is the connection's failure, which the load's requests and load_connections_lost report.
      (err: unknown) => void err,
    ).finally(() => (waiting = false));
  }, everyMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
