// The load's stage alone from two builds of stackprobe, side by side in one process: `runStageHere` with the figure-1
// mix (one custom step, the statement with a fixed key, 8 VUs on a read-only pool of 8), alternating A and B in
// rotating order, CPU (process.cpuUsage) around each stage only. What a change to the load's per-request path is worth,
// free of the run's set-up (seeding, targets, report) and of a child process's warm-up (bench/README.md, "The load's path").
//   node --import tsx bench/load-stage-ab.ts <database with pgbench -i -s 10 data> <dir of build A> <dir of build B> [pairs] [seconds]
// Each dir is a checkout with its own `dist/` (npm run build); the database must hold pgbench_accounts.
import os from 'node:os';
import type { runStageHere as RunStageHere } from '../src/checks/load/run-stage.js';
import type { StageRecorder as StageRecorderClass } from '../src/checks/load/record.js';
import type { SecondWindow as SecondWindowClass } from '../src/checks/load/per-second.js';
import type { buildScenario as BuildScenario } from '../src/checks/load/scenario.js';
import type { validateConfig as ValidateConfig } from '../src/config/load.js';
import type { SessionPool as SessionPoolClass } from '../src/targets/pg/wire/pool.js';
import { median } from './lib/stats.js';
import { STATEMENT, FIXED_KEY } from './lib/pg-tools.js';

interface Figures { qps: number; user: number; sys: number }

async function stageOf(dir: string, url: string): Promise<{ run(ms: number): Promise<Figures>; close(): Promise<unknown> }> {
  const load = async <T>(p: string) => (await import(`${dir}/dist/${p}`)) as T;
  const { SessionPool } = await load<{ SessionPool: typeof SessionPoolClass }>('targets/pg/wire/pool.js');
  const { runStageHere } = await load<{ runStageHere: typeof RunStageHere }>('checks/load/run-stage.js');
  const { StageRecorder } = await load<{ StageRecorder: typeof StageRecorderClass }>('checks/load/record.js');
  const { SecondWindow } = await load<{ SecondWindow: typeof SecondWindowClass }>('checks/load/per-second.js');
  const { buildScenario } = await load<{ buildScenario: typeof BuildScenario }>('checks/load/scenario.js');
  const { validateConfig } = await load<{ validateConfig: typeof ValidateConfig }>('config/load.js');
  const config = validateConfig({
    database_url: url,
    load: { executor: 'closed-loop', stages: [{ vus: 8, duration: 1 }], pool_size: 8, weights: { financial_read: 0, write: 0, cache_read: 0, task: 0 }, custom: [{ name: 'lookup', sql: STATEMENT, params: [FIXED_KEY] }] },
  });
  const target = { url, timeouts: { connectMs: 5000 } };
  const common = { statementTimeoutMs: 30_000, acquireTimeoutMs: 5000 };
  const pool = new SessionPool(target, { ...common, max: 1, applicationName: 'stackprobe-bench' });
  const readPool = new SessionPool(target, { ...common, max: 8, applicationName: 'stackprobe-bench-custom', readOnly: true });
  const env = {
    services: { pool, readPool, plan: {} as never }, scenario: buildScenario(config.load, { redis: false, celery: false }), seed: 1,
    share: { index: 1, count: 1 }, executor: 'closed-loop' as const, maxVus: 8, thinkTimeMs: 0, requestTimeoutMs: 30_000,
  };
  let stage = 0;
  return {
    async run(ms) {
      const rec = new StageRecorder(++stage, new SecondWindow());
      const c0 = process.cpuUsage();
      const r = await runStageHere(env, { vus: 8, durationMs: ms }, rec, new AbortController().signal);
      const c = process.cpuUsage(c0);
      if (r.errors > 0) throw new Error(`${dir}: ${r.errors} requests failed: ${rec.messages[0]}`);
      return { qps: r.succeeded / (r.elapsedMs / 1000), user: c.user / r.succeeded, sys: c.system / r.succeeded };
    },
    close: () => Promise.all([pool.end(), readPool.end()]),
  };
}

const [url, dirA, dirB] = process.argv.slice(2);
if (!url || !dirA || !dirB) throw new Error('usage: load-stage-ab.ts <database url> <dir A> <dir B> [pairs] [seconds]');
const pairs = Number(process.argv[5] ?? 10);
const ms = Number(process.argv[6] ?? 4) * 1000;
const a = await stageOf(dirA, url);
const b = await stageOf(dirB, url);
// Sessions opened and both builds' code warmed (JIT) before anything is counted.
for (let i = 0; i < 2; i++) for (const s of [a, b]) await s.run(1500);
const out: { a: Figures[]; b: Figures[] } = { a: [], b: [] };
for (let r = 0; r < pairs; r++) {
  for (const side of r % 2 === 0 ? (['a', 'b'] as const) : (['b', 'a'] as const)) {
    const f = await (side === 'a' ? a : b).run(ms);
    out[side].push(f);
    process.stdout.write(`${side === 'a' ? 'A' : 'B'}: ${Math.round(f.qps)} req/s, user ${f.user.toFixed(2)} µs/req, kernel ${f.sys.toFixed(2)} µs/req, load average ${os.loadavg()[0]!.toFixed(1)}\n`);
  }
}
for (const side of ['a', 'b'] as const) {
  const f = out[side];
  process.stdout.write(`${side === 'a' ? 'A' : 'B'} medians: ${Math.round(median(f.map((x) => x.qps)))} req/s, user ${median(f.map((x) => x.user)).toFixed(2)}, kernel ${median(f.map((x) => x.sys)).toFixed(2)} µs/req\n`);
}
const per = (k: keyof Figures) => median(out.b.map((x, i) => x[k] / out.a[i]![k])).toFixed(3);
process.stdout.write(`B / A, medians of the per-pair ratios: req/s ${per('qps')}, user ${per('user')}, kernel ${per('sys')}\n`);
await a.close();
await b.close();
