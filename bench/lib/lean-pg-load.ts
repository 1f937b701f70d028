// History row of figure 1: the lean closed loop over the measuring connection (src/targets/pg/wire/): each connection
// keeps one batch in flight and sends the next from the reply's callback, with no promise, timer or object per execution.
import { openAll } from '../../src/exec/open-all.js';
import { Trend } from '../../src/metrics/trend.js';
import { WireConnection } from '../../src/targets/pg/wire/connection.js';
import { bindInt4, EXECUTE, SYNC } from '../../src/targets/pg/wire/messages.js';
import { wireOptions } from '../../src/targets/pg/wire/options.js';

/** `depth` executions of one statement with an int4 parameter each, then one Sync: a pipeline when depth > 1. */
export class Int4Batch {
  readonly bytes: Buffer;
  readonly offsets: number[];

  constructor(statement: string, readonly depth: number) {
    const bind = bindInt4(statement);
    const one = Buffer.concat([bind.bytes, EXECUTE]);
    this.bytes = Buffer.concat([...Array.from({ length: depth }, () => one), SYNC]);
    this.offsets = Array.from({ length: depth }, (_, i) => i * one.length + bind.paramOffset);
  }

  set(i: number, value: number): void {
    this.bytes.writeInt32BE(value, this.offsets[i]!);
  }
}

export interface PgFastLoadOptions {
  url: string;
  connections: number;
  durationMs: number;
  /** SQL with one int4 parameter ($1), e.g. `SELECT abalance FROM pgbench_accounts WHERE aid = $1`. */
  sql: string;
  /** The parameter is drawn uniformly from [1, maxKey]. */
  maxKey: number;
  /** Executions per round trip: 1 is plain request/response; more pipelines them before one Sync. */
  depth?: number;
  signal?: AbortSignal;
  seed?: number;
}

export interface PgFastLoadResult {
  ok: number;
  errors: number;
  elapsedMs: number;
  /** ok executions per second */
  throughput: number;
  /** Per execution: the round trip of the batch it was in (ms). */
  latency: Trend;
  firstError?: string;
}

/** xorshift32: a few integer operations per draw and no allocation; the keys only need to be spread, not secure. */
function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

export async function runPgFastLoad(opts: PgFastLoadOptions): Promise<PgFastLoadResult> {
  const depth = opts.depth ?? 1;
  const conns = await openAll(opts.connections, () => WireConnection.connect(wireOptions(opts.url, { applicationName: 'stackprobe-bench' })));
  try {
    await Promise.all(conns.map((c) => c.prepare('stackprobe_fast', opts.sql, [23])));
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

    const loop = (conn: WireConnection, index: number) => {
      const batch = new Int4Batch('stackprobe_fast', depth);
      const random = xorshift((opts.seed ?? 0x9e3779b9) + index * 7919);
      let sentAt = 0;
      const next = () => {
        for (let i = 0; i < depth; i++) batch.set(i, 1 + Math.floor(random() * opts.maxKey));
        sentAt = performance.now();
        conn.send(batch.bytes, onDone);
      };
      const onDone = (completed: number, error: { message: string } | undefined) => {
        const now = performance.now();
        if (completed > 0) histogram.recordValueWithCount(Math.max(1, Math.round((now - sentAt) * 1000)), completed);
        ok += completed;
        if (error) {
          errors += depth - completed;
          firstError ??= error.message;
        }
        if (now < deadline && !opts.signal?.aborted && !(error && completed === 0 && errors > 1000)) next();
        else if (--running === 0) finished();
      };
      next();
    };
    conns.forEach(loop);
    await allDone;
    const elapsedMs = performance.now() - start;
    const result: PgFastLoadResult = { ok, errors, elapsedMs, throughput: ok / (elapsedMs / 1000), latency };
    if (firstError !== undefined) result.firstError = firstError;
    return result;
  } finally {
    await Promise.all(conns.map((c) => c.close()));
  }
}
