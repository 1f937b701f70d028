// The run.json model: the one thing checks produce and reporters read. Versioned; see docs/run-json.md.
import type { Better, MetricBasis, MetricMeaning } from '../metrics/meaning.js';
import type { Tags } from '../metrics/registry.js';
import type { TrendSummary } from '../metrics/trend.js';

export const SCHEMA_VERSION = 1;

/**
 * `untrusted`: a fail threshold on a timing figure was missed while stackprobe's own client was saturated, so the
 * figure describes the measuring machine as much as the system; neither a pass nor a failure (exit code 3).
 */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'untrusted' | 'skip';
export type Severity = 'info' | 'warn' | 'error';
export type Band = 'excellent' | 'good' | 'acceptable' | 'poor';
export type Mode = 'quick' | 'full' | 'load-test';

interface MetricBase {
  name: string;
  tags: Tags;
  unit: string;
  /** What the figure is (see src/metrics/meaning.ts); absent in files written before schema 2: treat as not judged. */
  meaning?: MetricMeaning;
  /** Which direction is better; `none` (or absent) is never judged by compare. */
  better?: Better;
  description?: string;
  /** Where the figure comes from (src/metrics/meaning.ts); absent means measured. Compare judges only measured figures. */
  basis?: MetricBasis;
  /** A trend timing a no-op beside the named trend: the environment's share of it (src/metrics/meaning.ts). */
  controlFor?: string;
  /** True on the one figure that answers the check's question. */
  headline?: boolean;
}
export interface TrendMetric extends MetricBase {
  type: 'trend';
  summary: TrendSummary;
  /** The HDR histogram, compressed base64 (HdrHistogram's V2 encoding): merge and re-report exactly from it. */
  histogram: string;
}
export interface RateMetric extends MetricBase {
  type: 'rate';
  hits: number;
  total: number;
  value: number;
}
export interface CounterMetric extends MetricBase {
  type: 'counter';
  count: number;
  /** count per second over the check's duration; present only when the check declared the rate meaningful */
  perSecond?: number;
}
export interface GaugeMetric extends MetricBase {
  type: 'gauge';
  value: number;
  min: number;
  max: number;
}
export type SerializedMetric = TrendMetric | RateMetric | CounterMetric | GaugeMetric;

export interface TimeSeries {
  name: string;
  tags: Tags;
  unit: string;
  /** [seconds since the check started, value] */
  points: Array<[number, number]>;
}

export interface ThresholdOutcome {
  /** The metric selector as written, e.g. `query_duration{query:point_lookup}` */
  metric: string;
  expression: string;
  level: 'fail' | 'warn';
  ok: boolean;
  /** The observed value the expression was tested against, in the metric's unit; null when the metric was never recorded. */
  actual: number | null;
  /** The unit of `actual`: the metric's unit (`ms`), `ratio` for a rate, `count`, or `/s` for a counter's rate. */
  unit: string;
  /** Where the threshold came from: `default` or the config path that set it. */
  source: string;
  /** Missed while stackprobe's own client was saturated (src/verdict/saturation.ts): the miss is not trusted either way. */
  untrusted?: true;
}

export interface Rating {
  metric: string;
  kind: 'response_time_ms' | 'throughput_rps' | 'hit_rate';
  value: number;
  band: Band;
}

export interface Finding {
  severity: Severity;
  title: string;
  detail?: string;
  /** What the finding is about: a query name, a table, a setting. */
  subject?: string;
  recommendation?: string;
  data?: Record<string, unknown>;
}

export interface CheckResult {
  id: string;
  category: string;
  title: string;
  status: CheckStatus;
  /** Why it skipped or failed without a threshold (service missing, error thrown). */
  reason?: string;
  startedAt: string;
  durationMs: number;
  metrics: SerializedMetric[];
  timeSeries: TimeSeries[];
  thresholds: ThresholdOutcome[];
  ratings: Rating[];
  findings: Finding[];
  /** Free-form figures a check wants shown (e.g. the schema scale), never credentials. */
  info: Record<string, unknown>;
}

export interface TargetFacts {
  kind: string;
  /** The URL with credentials removed. */
  url: string;
  /** True when stackprobe started this server itself (the embedded PostgreSQL). */
  private: boolean;
  version?: string;
  settings?: Record<string, string>;
}

export interface Environment {
  tool: { name: string; version: string };
  client: {
    hostname: string;
    platform: string;
    arch: string;
    cpus: number;
    cpuModel: string;
    memoryBytes: number;
    node: string;
  };
  targets: Record<string, TargetFacts>;
  /** Services that were not used, with why: `{ redis: 'REDIS_URL not set' }`. */
  unavailable: Record<string, string>;
  /**
   * Services that were configured (or started) but could not be opened, with why (credentials redacted). The run
   * stopped before its first check, and such a run fails (exit 1). Absent in files written before it existed.
   */
  unopened?: Record<string, string>;
}

export interface Recommendation {
  checkId: string;
  severity: Severity;
  text: string;
  /** The service the advice is about (`pg`, `redis`, `celery`): with environment.targets, which server or database. */
  target?: string;
  /** What the advice is about when its text does not say it (the finding's subject: a setting, a table, a task). */
  about?: string;
}

export interface Summary {
  total: number;
  passed: number;
  warned: number;
  failed: number;
  /** Checks whose fail threshold was missed while the client was saturated; absent in files written before it existed. */
  untrusted?: number;
  skipped: number;
  /** (passed + warned) / (total - skipped); 1 when nothing ran. */
  successRate: number;
  /** All operation latencies of all checks merged from their histograms (trends declared `latency`, each operation once). */
  responseTime: TrendSummary | null;
  process: { cpuUserMs: number; cpuSystemMs: number; cpuPercent: number; maxRssMb: number };
  /** Run-level thresholds such as the client's memory use. */
  thresholds: ThresholdOutcome[];
}

export interface RunResult {
  schemaVersion: typeof SCHEMA_VERSION;
  mode: Mode;
  readOnly: boolean;
  interrupted: boolean;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  environment: Environment;
  checks: CheckResult[];
  summary: Summary;
  recommendations: Recommendation[];
}
