// Figure 3: the tool's own cost: ns to record one sample, and no-op iterations per second through the executor.
import { runClosedLoop } from '../../src/exec/closed-loop.js';
import { Recorder, operationMetrics } from '../../src/exec/recorder.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { Trend } from '../../src/metrics/trend.js';
import { median } from './stats.js';
import type { BenchOptions, Row } from './types.js';

// Each measured call has its own loop: a shared helper taking a callback would make its call site polymorphic and
// measure V8's dispatch rather than the recording.
const LATENCIES = Array.from({ length: 4096 }, (_, i) => 0.05 + ((i * 7919) % 4096) / 100); // 0.05 … 41 ms, spread over buckets

function nsPerTrendRecord(n: number): number {
  const trend = new Trend();
  for (let i = 0; i < 200_000; i++) trend.record(LATENCIES[i & 4095]!); // warm-up: let the JIT settle
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) trend.record(LATENCIES[i & 4095]!);
  return Number(process.hrtime.bigint() - t0) / n;
}

function nsPerRecorderOk(n: number): number {
  const rec = new Recorder({ registry: new MetricRegistry(), metrics: operationMetrics('x', { meaning: 'latency', description: 'one operation', noun: 'operations' }), elapsed: () => 0 });
  for (let i = 0; i < 200_000; i++) rec.ok(LATENCIES[i & 4095]!);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) rec.ok(LATENCIES[i & 4095]!);
  return Number(process.hrtime.bigint() - t0) / n;
}

async function noopRate(vus: number, iterations: number): Promise<number> {
  const recorder = new Recorder({ registry: new MetricRegistry(), metrics: operationMetrics('noop', { meaning: 'latency', description: 'one operation', noun: 'operations' }), elapsed: () => 0 });
  const r = await runClosedLoop({ vus, iterations, timeoutMs: 10_000, recorder, signal: new AbortController().signal, fn: () => Promise.resolve() });
  return r.iterations / (r.elapsedMs / 1000);
}

export async function figureOverhead(opts: BenchOptions): Promise<Row[]> {
  const rounds = opts.quick ? 3 : 5;
  const n = opts.quick ? 2_000_000 : 10_000_000;
  const record: number[] = [];
  const ok: number[] = [];
  for (let r = 0; r < rounds; r++) {
    record.push(nsPerTrendRecord(n));
    ok.push(nsPerRecorderOk(n / 2));
  }
  const iterations = opts.quick ? 300_000 : 2_000_000;
  const one: number[] = [];
  const fifty: number[] = [];
  for (let r = 0; r < rounds; r++) {
    one.push(await noopRate(1, iterations));
    fifty.push(await noopRate(50, iterations));
  }
  const noop1 = median(one);
  return [
    { figure: 3, measure: 'Trend.record(): ns per sample', value: median(record), unit: 'ns', note: `median of ${rounds} × ${n.toLocaleString('en-US')} records of 4,096 different values`, command: 'Trend.record (src/metrics/trend.ts), HDR JS histogram', detail: { rounds: record } },
    { figure: 3, measure: 'Recorder.ok(): ns per sample', value: median(ok), unit: 'ns', note: 'trend + error rate + per-second histogram', command: 'Recorder.ok (src/exec/recorder.ts)', detail: { rounds: ok } },
    { figure: 3, measure: 'no-op iterations/s, runClosedLoop, 1 VU', value: noop1, unit: 'it/s', target: '≥ 1,000,000', met: noop1 >= 1_000_000, command: 'runClosedLoop({ vus: 1, fn: () => Promise.resolve() }) (src/exec/closed-loop.ts)', detail: { rounds: one } },
    { figure: 3, measure: 'no-op iterations/s, runClosedLoop, 50 VUs', value: median(fifty), unit: 'it/s', command: 'runClosedLoop({ vus: 50, fn: () => Promise.resolve() })', detail: { rounds: fifty } },
  ];
}
