// The lean Redis loop: each connection keeps one batch (1 or `depth` pipelined commands) in flight and sends the next
// from the reply callback, with no promise or object per command; latencies go straight into an HDR trend.
import { Trend } from '../../metrics/trend.js';
import { openAll } from '../open-all.js';
import { RedisFastConnection, RespBatch } from './connection.js';

export interface RedisFastLoadOptions {
  url: string;
  command: 'GET' | 'SET';
  connections: number;
  /** Commands per write on each connection; connections × depth are in flight. */
  depth: number;
  durationMs: number;
  /** Keys are `${keyPrefix}` + 12 digits, uniform in [0, keySpace). */
  keyPrefix: string;
  keySpace: number;
  value?: string;
  signal?: AbortSignal;
}

export interface RedisFastLoadResult {
  ok: number;
  errors: number;
  elapsedMs: number;
  throughput: number;
  latency: Trend;
  firstError?: string;
}

export async function runRedisFastLoad(opts: RedisFastLoadOptions): Promise<RedisFastLoadResult> {
  const conns = await openAll(opts.connections, () => RedisFastConnection.connect(opts.url));
  try {
    const latency = new Trend();
    const histogram = latency.histogram;
    let ok = 0;
    let errors = 0;
    let firstError: string | undefined;
    const start = performance.now();
    const deadline = start + opts.durationMs;
    let running = conns.length;
    let finished!: () => void;
    const allDone = new Promise<void>((resolve) => (finished = resolve));
    let seed = 0x2545f491;

    const loop = (conn: RedisFastConnection) => {
      const batch = new RespBatch(opts.command, opts.keyPrefix, opts.depth, opts.value);
      let sentAt = 0;
      const next = () => {
        for (let i = 0; i < opts.depth; i++) {
          seed ^= seed << 13;
          seed ^= seed >>> 17;
          seed ^= seed << 5;
          batch.setKey(i, (seed >>> 0) % opts.keySpace);
        }
        sentAt = performance.now();
        conn.send(batch, onDone);
      };
      const onDone = (failed: number, error: string | undefined) => {
        const now = performance.now();
        histogram.recordValueWithCount(Math.max(1, Math.round((now - sentAt) * 1000)), opts.depth);
        ok += opts.depth - failed;
        errors += failed;
        if (error !== undefined) firstError ??= error;
        if (now < deadline && !opts.signal?.aborted && errors < 1000) next();
        else if (--running === 0) finished();
      };
      next();
    };
    conns.forEach(loop);
    await allDone;
    const elapsedMs = performance.now() - start;
    const result: RedisFastLoadResult = { ok, errors, elapsedMs, throughput: ok / (elapsedMs / 1000), latency };
    if (firstError !== undefined) result.firstError = firstError;
    return result;
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}
