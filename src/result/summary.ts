// The run summary: counts by status, success rate, overall response time from merged histograms, the client's own cost.
import { mergeTrends } from '../metrics/serialize.js';
import type { CheckResult, Summary, ThresholdOutcome, TrendMetric } from './model.js';

/** The run-level threshold on stackprobe's own memory: its outcome in `summary.thresholds` is found by this name. */
export const MEMORY_METRIC = 'process_max_rss_mb';

export interface ProcessCost {
  cpuUserMs: number;
  cpuSystemMs: number;
  wallMs: number;
  maxRssMb: number;
}

export function measureProcess(startCpu: NodeJS.CpuUsage, wallMs: number): ProcessCost {
  const cpu = process.cpuUsage(startCpu);
  return { cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, wallMs, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

export function summarize(checks: CheckResult[], cost: ProcessCost, memoryLimitMb: number): Summary {
  const count = (s: CheckResult['status']) => checks.filter((c) => c.status === s).length;
  const passed = count('pass');
  const warned = count('warn');
  const failed = count('fail');
  const untrusted = count('untrusted');
  const skipped = count('skip');
  const ran = checks.length - skipped;
  // Only trends declared `latency`: each operation is recorded in exactly one of them, so nothing is counted twice.
  const durations = checks.flatMap((c) => c.metrics.filter((m): m is TrendMetric => m.type === 'trend' && m.meaning === 'latency'));
  const memory: ThresholdOutcome = {
    metric: MEMORY_METRIC, expression: `value<${memoryLimitMb}`, level: 'warn',
    ok: cost.maxRssMb < memoryLimitMb, actual: cost.maxRssMb, unit: 'MB', source: 'config.thresholds.memory_usage_mb',
  };
  return {
    total: checks.length, passed, warned, failed, untrusted, skipped,
    successRate: ran === 0 ? 1 : (passed + warned) / ran,
    responseTime: durations.length ? mergeTrends(durations).summary() : null,
    process: {
      cpuUserMs: cost.cpuUserMs, cpuSystemMs: cost.cpuSystemMs,
      cpuPercent: cost.wallMs > 0 ? ((cost.cpuUserMs + cost.cpuSystemMs) / cost.wallMs) * 100 : 0,
      maxRssMb: cost.maxRssMb,
    },
    thresholds: [memory],
  };
}
