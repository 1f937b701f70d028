// The PostgreSQL contenders of figure 1: pgbench (plain and pipelined) and stackprobe's paths running the same statement.
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { runClosedLoop } from '../../src/exec/closed-loop.js';
import { loadChecks } from '../../src/checks/load/index.js';
import { queriesChecks } from '../../src/checks/queries/index.js';
import { validateConfig } from '../../src/config/load.js';
import { Recorder, operationMetrics } from '../../src/exec/recorder.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import type { RunResult, TrendMetric } from '../../src/result/model.js';
import { run } from '../../src/run/runner.js';
import { WireConnection } from '../../src/targets/pg/wire/connection.js';
import { wireOptions } from '../../src/targets/pg/wire/options.js';
import { silentLogger } from '../../src/util/logger.js';
import { Int4Batch, runPgFastLoad } from './lean-pg-load.js';
import { runTool } from './proc.js';
import type { Measurement, Tool } from './rounds.js';
import { libpqArgs } from './scratch-db.js';
import { selfCpuSeconds, selfUserSeconds } from './proc.js';
import { benchTempFile } from './temp.js';

export const STATEMENT = 'SELECT abalance FROM pgbench_accounts WHERE aid = $1';
export const ACCOUNTS = 1_000_000; // scale 10
export const PIPELINE_DEPTH = 16;

/** pgbench's select-only script as a pipeline of PIPELINE_DEPTH lookups (random keys each), ended by one sync. */
export function pipelineScript(depth = PIPELINE_DEPTH): string {
  const one = `\\set aid random(1, ${ACCOUNTS})\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n`;
  return `\\startpipeline\n${one.repeat(depth)}\\endpipeline\n`;
}

export function pgbenchArgs(url: string, clients: number, seconds: number, script?: string): { args: string[]; env: NodeJS.ProcessEnv } {
  const { args, env, db } = libpqArgs(url);
  const workload = script ? ['-f', script] : ['-S'];
  return { args: [...args, ...workload, '-M', 'prepared', '-n', '-c', String(clients), '-j', '1', '-T', String(seconds), db], env };
}

/** `number of transactions actually processed: N` (or N/M with -t). */
export function parsePgbenchTransactions(out: string): number {
  const m = /number of transactions actually processed: (\d+)/.exec(out);
  return m ? Number(m[1]) : Number.NaN;
}

export function pgbenchTool(pgbench: string, url: string, clients: number, seconds: number, pipelined: boolean): Tool & { command: string } {
  let script: string | undefined;
  if (pipelined) {
    script = benchTempFile('pipeline16.sql');
    writeFileSync(script, pipelineScript());
  }
  const { args, env } = pgbenchArgs(url, clients, seconds, script);
  const perScript = pipelined ? PIPELINE_DEPTH : 1;
  return {
    name: pipelined ? 'pgbench-pipeline' : 'pgbench',
    command: `pgbench ${args.join(' ').replace(script ?? '\0', 'pipeline16.sql')}${pipelined ? `  # pipeline16.sql: \\startpipeline, ${PIPELINE_DEPTH}× (\\set aid random; SELECT …), \\endpipeline` : ''}`,
    async run(): Promise<Measurement> {
      const r = await runTool(pgbench, args, env);
      const tx = parsePgbenchTransactions(r.stdout);
      if (r.code !== 0 || !Number.isFinite(tx)) throw new Error(`pgbench failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
      return { ops: tx * perScript, seconds: seconds, cpuSeconds: r.cpuSeconds, userSeconds: r.userSeconds };
    },
  };
}

async function measured(fn: () => Promise<{ ops: number; seconds: number; errors: number; firstError?: string | undefined }>): Promise<Measurement> {
  const cpu0 = selfCpuSeconds();
  const user0 = selfUserSeconds();
  const r = await fn();
  const cpuSeconds = selfCpuSeconds() - cpu0;
  const userSeconds = selfUserSeconds() - user0;
  if (r.errors > 0) throw new Error(`${r.errors} executions failed: ${r.firstError}`);
  return { ops: r.ops, seconds: r.seconds, cpuSeconds, userSeconds };
}

/** History: the lean callback loop over the measuring connection, one batch in flight per connection. */
export function leanTool(url: string, clients: number, seconds: number, depth: number): Tool {
  return {
    name: depth > 1 ? 'stackprobe-lean-pipeline' : 'stackprobe-lean',
    run: () => measured(async () => {
      const r = await runPgFastLoad({ url, connections: clients, durationMs: seconds * 1000, sql: STATEMENT, maxKey: ACCOUNTS, depth });
      return { ops: r.ok, seconds: r.elapsedMs / 1000, errors: r.errors, firstError: r.firstError };
    }),
  };
}

const uniformKey = () => 1 + Math.floor(Math.random() * ACCOUNTS);

/** stackprobe's closed-loop executor (runClosedLoop + Recorder) driving lean connections through promises. */
export function executorLeanTool(url: string, clients: number, seconds: number): Tool {
  return {
    name: 'stackprobe-executor-lean',
    run: () => measured(async () => {
      const conns = await Promise.all(Array.from({ length: clients }, () => WireConnection.connect(wireOptions(url))));
      try {
        await Promise.all(conns.map((c) => c.prepare('s', STATEMENT, [23])));
        const batches = conns.map(() => new Int4Batch('s', 1));
        const recorder = new Recorder({ registry: new MetricRegistry(), metrics: operationMetrics('bench', { meaning: 'latency', description: 'one operation', noun: 'operations' }), elapsed: () => 0 });
        const r = await runClosedLoop({
          vus: clients, durationMs: seconds * 1000, timeoutMs: 10_000, recorder, signal: new AbortController().signal,
          fn: (vu) => {
            batches[vu]!.set(0, uniformKey());
            return conns[vu]!.run(batches[vu]!.bytes);
          },
        });
        return { ops: r.iterations - r.errors, seconds: r.elapsedMs / 1000, errors: r.errors, firstError: recorder.lastErrors[0] };
      } finally {
        await Promise.all(conns.map((c) => c.close()));
      }
    }),
  };
}

/** History: what the queries and load categories did before the measuring path — runClosedLoop over `pg` clients. */
export function executorPgTool(url: string, clients: number, seconds: number): Tool {
  return {
    name: 'stackprobe-executor-pg',
    run: () => measured(async () => {
      const conns = Array.from({ length: clients }, () => new pg.Client({ connectionString: url }));
      await Promise.all(conns.map((c) => c.connect()));
      try {
        const recorder = new Recorder({ registry: new MetricRegistry(), metrics: operationMetrics('bench', { meaning: 'latency', description: 'one operation', noun: 'operations' }), elapsed: () => 0 });
        const r = await runClosedLoop({
          vus: clients, durationMs: seconds * 1000, timeoutMs: 10_000, recorder, signal: new AbortController().signal,
          fn: (vu) => conns[vu]!.query({ name: 'lookup', text: STATEMENT, values: [uniformKey()], rowMode: 'array' }),
        });
        return { ops: r.iterations - r.errors, seconds: r.elapsedMs / 1000, errors: r.errors, firstError: recorder.lastErrors[0] };
      } finally {
        await Promise.all(conns.map((c) => c.end()));
      }
    }),
  };
}

/** The fixed key of the product-path rows: queries.custom runs a statement with the parameters its config gives. */
export const FIXED_KEY = 424_242;

/** pgbench running STATEMENT with FIXED_KEY, as queries.custom does. */
export function pgbenchFixedTool(pgbench: string, url: string, clients: number, seconds: number): Tool & { command: string } {
  const script = benchTempFile('fixed-lookup.sql');
  writeFileSync(script, `\\set aid ${FIXED_KEY}\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n`);
  const { args, env } = pgbenchArgs(url, clients, seconds, script);
  return {
    name: 'pgbench-fixed',
    command: `pgbench ${args.join(' ').replace(script, 'fixed-lookup.sql')}  # fixed-lookup.sql: \\set aid ${FIXED_KEY}; SELECT … WHERE aid = :aid`,
    async run(): Promise<Measurement> {
      const r = await runTool(pgbench, args, env);
      const tx = parsePgbenchTransactions(r.stdout);
      if (r.code !== 0 || !Number.isFinite(tx)) throw new Error(`pgbench failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' ')}`);
      return { ops: tx, seconds, cpuSeconds: r.cpuSeconds, userSeconds: r.userSeconds };
    },
  };
}

/**
 * A check's own figures as a bench measurement: operations from its latency trend, seconds from its throughput gauge
 * (so both come from the check's timed window, not its setup), errors from an error rate or the misses of a success
 * rate. A check that recorded nothing counts one error, so a broken run never passes for a fast one.
 */
function checkFigures(result: RunResult, id: string, names: { trend: string; throughput: string; errors?: string; success?: string }): { ops: number; seconds: number; errors: number; firstError?: string } {
  const check = result.checks.find((c) => c.id === id);
  const metric = (type: string, name: string | undefined) => check?.metrics.find((m) => m.type === type && m.name === name);
  const trend = metric('trend', names.trend) as TrendMetric | undefined;
  const tput = metric('gauge', names.throughput) as { value?: number } | undefined;
  const errorRate = metric('rate', names.errors) as { hits?: number } | undefined;
  const success = metric('rate', names.success) as { hits?: number; total?: number } | undefined;
  const ops = trend?.summary.count ?? 0;
  const errors = names.errors ? (errorRate?.hits ?? 1) : success?.total !== undefined ? success.total - (success.hits ?? 0) : 1;
  return { ops, seconds: ops / (tput?.value ?? Number.NaN), errors, firstError: check?.reason ?? check?.status };
}

/**
 * The product path as a user runs it: the queries.custom check through the library's runner (config, target, read-only
 * measuring sessions, the check's own executor and recorder), the statement in config.queries.custom with a fixed
 * parameter. Throughput is the check's own query_throughput; CPU is the whole run's, setup and EXPLAIN included.
 */
export function queriesCustomTool(url: string, clients: number, seconds: number): Tool {
  return {
    name: 'stackprobe-queries.custom',
    run: () => measured(async () => {
      const config = validateConfig({
        database_url: url, only: ['queries.custom'],
        queries: { concurrency: clients, duration_s: seconds, explain_slowest: 0, custom: [{ name: 'lookup', sql: STATEMENT, params: [FIXED_KEY] }] },
      });
      const result = await run({ config, checks: queriesChecks, signal: new AbortController().signal, log: silentLogger() });
      return checkFigures(result, 'queries.custom', { trend: 'query_duration', throughput: 'query_throughput', errors: 'query_errors' });
    }),
  };
}

/**
 * The load category as a user runs it: the load.mixed check through the library's runner, one closed-loop stage of
 * `clients` VUs on a pool of `clients` connections, the mix reduced to one custom step (the statement with a fixed
 * parameter) so both sides run the same statement at equal connections. Throughput is the stage's own
 * load_stage_throughput; CPU is the whole run's (the workload's seeding included).
 */
export function loadCustomTool(url: string, clients: number, seconds: number): Tool {
  return {
    name: 'stackprobe-load',
    run: () => measured(async () => {
      const config = validateConfig({
        database_url: url, only: ['load.mixed'],
        load: {
          executor: 'closed-loop', stages: [{ vus: clients, duration: seconds }], pool_size: clients,
          weights: { financial_read: 0, write: 0, cache_read: 0, task: 0 },
          custom: [{ name: 'lookup', sql: STATEMENT, params: [FIXED_KEY] }],
        },
      });
      const result = await run({ config, checks: loadChecks, signal: new AbortController().signal, log: silentLogger() });
      return checkFigures(result, 'load.mixed', { trend: 'load_request_duration', throughput: 'load_stage_throughput', success: 'load_success' });
    }),
  };
}
