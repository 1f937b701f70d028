// The run.json model, declared once as a zod schema: the TypeScript types are inferred from it, and every reader
// validates against it (src/result/validate.ts). Versioned; see docs/run-json.md.
import { z } from 'zod';
import { OPERATION_ROLES, type Better, type MetricBasis, type MetricMeaning } from '../metrics/meaning.js';
import { Trend } from '../metrics/trend.js';

/**
 * 2: a metric's `meaning` and `better`, the summary's `untrusted` count and the environment's `unopened` services are
 * always written (version 1 files may lack them; src/result/upgrade.ts reads those).
 */
export const SCHEMA_VERSION = 2;

/**
 * Sizes far beyond any real run (a day-long load test writes ~86k points per series), small enough that every
 * reporter's loops stay bounded. A file over them is not something stackprobe wrote.
 */
export const RUN_JSON_LIMITS = {
  checks: 10_000,
  perCheck: 100_000,
  recommendations: 100_000,
  points: 1_000_000,
  /** Seconds since the check started: ~31 years either way. Charts cannot place a point at 1e20 s. */
  seriesX: 1e9,
} as const;

/** JSON has no NaN or Infinity: JSON.stringify writes them as null, so a figure may come back as null; reporters show NaN as "–". */
const figure = z.number().nullable().transform((v) => v ?? Number.NaN);
const count = z.number().min(0);
const text = z.string();
const tags = z.record(z.string(), z.string());
const list = <T extends z.ZodType>(item: T, max: number = RUN_JSON_LIMITS.perCheck) =>
  z.array(item).max(max, { error: `expected at most ${max} entries` });

/** Free-form objects (a check's info, a finding's data) nested deeper than this are not something a check writes. */
const MAX_DEPTH = 32;

/** Measured without recursion, so a crafted 100k-deep array cannot overflow the stack here either. */
function depthWithin(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= max) return false;
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return true;
}

const freeForm = z.record(z.string(), z.unknown()).refine((v) => depthWithin(v, MAX_DEPTH), { error: `nested deeper than ${MAX_DEPTH} levels` });

/** Spelled out for zod; the checks below keep the lists equal to the types src/metrics/meaning.ts declares. */
const MEANINGS = ['latency', 'duration', 'throughput', 'count', 'defects', 'state', 'share', 'size'] as const;
const BETTER = ['lower', 'higher', 'none'] as const;
const BASES = ['measured', 'derived', 'expected', 'cumulative', 'client'] as const;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const listsMatchDeclarations: [Same<(typeof MEANINGS)[number], MetricMeaning>, Same<(typeof BETTER)[number], Better>, Same<(typeof BASES)[number], MetricBasis>] = [true, true, true];
void listsMatchDeclarations;

const metricBase = {
  name: text,
  tags,
  unit: text,
  /** What the figure is (src/metrics/meaning.ts). */
  meaning: z.enum(MEANINGS),
  /** Which direction is better; `none` is never judged by compare. */
  better: z.enum(BETTER),
  description: text.optional(),
  /** Where the figure comes from (src/metrics/meaning.ts); absent means measured. Compare judges only measured figures. */
  basis: z.enum(BASES).optional(),
  /** A trend timing a no-op beside the named trend: the environment's share of it (src/metrics/meaning.ts). */
  controlFor: text.optional(),
  /** True on the one figure that answers the check's question. */
  headline: z.boolean().optional(),
  /** The operation the figure is part of and its part in it (src/metrics/meaning.ts): one row per operation in reports. */
  operation: z.object({ name: text, role: z.enum(OPERATION_ROLES) }).optional(),
};

/** A histogram a reporter or merge can decode: anything else would fail there as an "unexpected error". */
function decodable(encoded: string): boolean {
  try {
    Trend.decode(encoded);
    return true;
  } catch (err) {
    // The answer is the boolean; the decoder's own message ("only V2 is supported") would not help the user more.
    void err;
    return false;
  }
}

const histogram = text.refine(decodable, { error: 'expected an HDR histogram as stackprobe writes it (V2, compressed, base64)' });

const trendSummary = z.object({
  count,
  min: figure,
  max: figure,
  mean: figure,
  stdev: figure,
  /** Keys are `p50`, `p90`, `p95`, `p99`, `p99.9`; values in the trend's unit. */
  percentiles: z.record(z.string(), figure),
});

const trendMetric = z.object({
  ...metricBase,
  type: z.literal('trend'),
  summary: trendSummary,
  /** The HDR histogram, compressed base64 (HdrHistogram's V2 encoding): merge and re-report exactly from it. */
  histogram,
});
const rateMetric = z.object({ ...metricBase, type: z.literal('rate'), hits: count, total: count, value: figure });
const counterMetric = z.object({
  ...metricBase,
  type: z.literal('counter'),
  count: figure,
  /** count per second over the check's duration; present only when the check declared the rate meaningful */
  perSecond: figure.optional(),
});
const gaugeMetric = z.object({ ...metricBase, type: z.literal('gauge'), value: figure, min: figure, max: figure });
const metric = z.discriminatedUnion('type', [trendMetric, rateMetric, counterMetric, gaugeMetric]);

const point = z.tuple([
  z.number().min(-RUN_JSON_LIMITS.seriesX).max(RUN_JSON_LIMITS.seriesX, { error: `expected seconds since the check started (at most ${RUN_JSON_LIMITS.seriesX})` }),
  figure,
]);

const timeSeries = z.object({
  name: text,
  tags,
  unit: text,
  /** [seconds since the check started, value] */
  points: list(point, RUN_JSON_LIMITS.points),
});

/**
 * A check's headline chart, declared by the check itself (its `headline` hook, src/checks/types.ts) and drawn by the
 * report as it is: panels of line charts, percentile bars, tables and words, with every label already written. A
 * reporter draws what it finds here and never derives a chart from a check's id or a metric's name.
 */
const chartMark = z.object({ at: figure, label: text, kind: z.enum(['limit', 'good', 'plain']).optional() });
const chartBand = z.object({ from: figure, to: figure, label: text, bad: z.boolean().optional() });
const chartSeries = z.object({
  label: text,
  points: list(point, RUN_JSON_LIMITS.points),
  /** Each point is the aggregate of the window that ends at its x: drawn as a step. */
  step: z.boolean().optional(),
});
const MAX_PANEL_ITEMS = 1000;
const linePanel = z.object({
  kind: z.literal('line'),
  /** The question the chart answers, above it. */
  caption: text,
  title: text,
  xTitle: text,
  yTitle: text,
  series: list(chartSeries, 64),
  /** Labels for x positions instead of numbers (pool sizes drawn at even spacing). */
  xLabels: list(z.object({ at: figure, label: text }), MAX_PANEL_ITEMS).optional(),
  /** Vertical marks (a configured size, the saturation point) and horizontal ones (a limit, an expected rate). */
  xMarks: list(chartMark, MAX_PANEL_ITEMS).optional(),
  yMarks: list(chartMark, MAX_PANEL_ITEMS).optional(),
  /** Shaded x ranges: load stages, a burst, a drain. */
  bands: list(chartBand, MAX_PANEL_ITEMS).optional(),
  /** Where the y axis starts when not at zero. */
  yMin: figure.optional(),
});
const percentilePanel = z.object({
  kind: z.literal('percentiles'),
  caption: text,
  title: text,
  rows: list(z.object({ label: text, p50: figure, p95: figure, p99: figure }), MAX_PANEL_ITEMS),
  /** A limit line, in ms. */
  limit: chartMark.optional(),
});
const tablePanel = z.object({
  kind: z.literal('table'),
  /** What the table is, for styling and for tests (`stages`, `attribution`). */
  role: text.regex(/^[a-z][a-z-]*$/).optional(),
  /** A numeric column's cells are numbers written in its unit (`ms`, `ratio`, `req/s`, or '' for a plain number). */
  columns: list(z.object({ title: text, unit: text.optional() }), 32),
  rows: list(z.object({ cells: list(z.union([text, figure]), 32), mark: z.enum(['bad', 'emphasis']).optional() }), MAX_PANEL_ITEMS),
});
const textPanel = z.object({
  kind: z.literal('text'),
  heading: text.optional(),
  paragraphs: list(z.object({ text, muted: z.boolean().optional() }), MAX_PANEL_ITEMS),
});
const headlinePanel = z.discriminatedUnion('kind', [linePanel, percentilePanel, tablePanel, textPanel]);
export const HeadlineSchema = z.object({ panels: list(headlinePanel, 32) });

const thresholdOutcome = z.object({
  /** The metric selector as written, e.g. `query_duration{query:point_lookup}` */
  metric: text,
  expression: text,
  level: z.enum(['fail', 'warn']),
  ok: z.boolean(),
  /** The observed value the expression was tested against, in the metric's unit; null when the metric was never recorded. */
  actual: z.number().nullable(),
  /** The unit of `actual`: the metric's unit (`ms`), `ratio` for a rate, `count`, or `/s` for a counter's rate. */
  unit: text,
  /** Where the threshold came from: `default` or the config path that set it. */
  source: text,
  /** Missed while stackprobe's own client was saturated (src/verdict/saturation.ts): the miss is not trusted either way. */
  untrusted: z.literal(true).optional(),
});

const severity = z.enum(['info', 'warn', 'error']);
const band = z.enum(['excellent', 'good', 'acceptable', 'poor']);
const mode = z.enum(['quick', 'full', 'load-test']);
/**
 * `untrusted`: a fail threshold on a timing figure was missed while stackprobe's own client was saturated, so the
 * figure describes the measuring machine as much as the system; neither a pass nor a failure (exit code 3).
 */
const checkStatus = z.enum(['pass', 'warn', 'fail', 'untrusted', 'skip']);

const rating = z.object({ metric: text, kind: z.enum(['response_time_ms', 'throughput_rps', 'hit_rate']), value: figure, band });

const finding = z.object({
  severity,
  title: text,
  detail: text.optional(),
  /** What the finding is about: a query name, a table, a setting. */
  subject: text.optional(),
  recommendation: text.optional(),
  data: freeForm.optional(),
});

const checkResult = z.object({
  id: text,
  category: text,
  title: text,
  status: checkStatus,
  /** Why it skipped or failed without a threshold (service missing, error thrown). */
  reason: text.optional(),
  startedAt: text,
  durationMs: figure,
  metrics: list(metric),
  timeSeries: list(timeSeries),
  thresholds: list(thresholdOutcome),
  ratings: list(rating),
  findings: list(finding),
  /** Free-form figures a check wants shown (e.g. the schema scale), never credentials. */
  info: freeForm,
  /** The chart that answers the check's question, as the check declared it; absent for a check without one and in older files. */
  headline: HeadlineSchema.optional(),
});

const targetFacts = z.object({
  kind: text,
  /** The URL with credentials removed. */
  url: text,
  /** True when stackprobe started this server itself (the embedded PostgreSQL). */
  private: z.boolean(),
  version: text.optional(),
  settings: z.record(z.string(), z.string()).optional(),
});

const environment = z.object({
  tool: z.object({ name: text, version: text }),
  client: z.object({ hostname: text, platform: text, arch: text, cpus: count, cpuModel: text, memoryBytes: count, node: text }),
  targets: z.record(z.string(), targetFacts),
  /** Services that were not used, with why: `{ redis: 'REDIS_URL not set' }`. */
  unavailable: z.record(z.string(), z.string()),
  /**
   * Services that were configured (or started) but could not be opened, with why (credentials redacted). The run
   * stopped before its first check, and such a run fails (exit 1). Empty when every configured service opened.
   */
  unopened: z.record(z.string(), z.string()),
});

const summary = z.object({
  total: count,
  passed: count,
  warned: count,
  failed: count,
  /** Checks whose fail threshold was missed while the client was saturated. */
  untrusted: count,
  skipped: count,
  /** (passed + warned) / (total - skipped); 1 when nothing ran. */
  successRate: figure,
  /** All operation latencies of all checks merged from their histograms (trends declared `latency`, each operation once). */
  responseTime: trendSummary.nullable(),
  process: z.object({ cpuUserMs: figure, cpuSystemMs: figure, cpuPercent: figure, maxRssMb: figure }),
  /** Run-level thresholds such as the client's memory use. */
  thresholds: list(thresholdOutcome),
});

const recommendation = z.object({
  checkId: text,
  severity,
  text,
  /** The service the advice is about (`pg`, `redis`, `celery`): with environment.targets, which server or database. */
  target: text.optional(),
  /** What the advice is about when its text does not say it (the finding's subject: a setting, a table, a task). */
  about: text.optional(),
});

export const RunResultSchema = z.object({
  schemaVersion: z.literal(SCHEMA_VERSION),
  mode,
  readOnly: z.boolean(),
  interrupted: z.boolean(),
  startedAt: text,
  endedAt: text,
  durationMs: figure,
  environment,
  checks: list(checkResult, RUN_JSON_LIMITS.checks),
  summary,
  recommendations: list(recommendation, RUN_JSON_LIMITS.recommendations),
});

export type RunResult = z.infer<typeof RunResultSchema>;
export type CheckResult = z.infer<typeof checkResult>;
export type CheckStatus = z.infer<typeof checkStatus>;
export type Severity = z.infer<typeof severity>;
export type Band = z.infer<typeof band>;
export type Mode = z.infer<typeof mode>;
export type TrendMetric = z.infer<typeof trendMetric>;
export type RateMetric = z.infer<typeof rateMetric>;
export type CounterMetric = z.infer<typeof counterMetric>;
export type GaugeMetric = z.infer<typeof gaugeMetric>;
export type SerializedMetric = z.infer<typeof metric>;
export type TimeSeries = z.infer<typeof timeSeries>;
export type ThresholdOutcome = z.infer<typeof thresholdOutcome>;
export type Rating = z.infer<typeof rating>;
export type Finding = z.infer<typeof finding>;
export type TargetFacts = z.infer<typeof targetFacts>;
export type Environment = z.infer<typeof environment>;
export type Summary = z.infer<typeof summary>;
export type Recommendation = z.infer<typeof recommendation>;
export type Headline = z.infer<typeof HeadlineSchema>;
export type HeadlinePanel = z.infer<typeof headlinePanel>;
export type LinePanel = z.infer<typeof linePanel>;
export type PercentilePanel = z.infer<typeof percentilePanel>;
export type TablePanel = z.infer<typeof tablePanel>;
export type TextPanel = z.infer<typeof textPanel>;
export type ChartMark = z.infer<typeof chartMark>;
export type ChartBand = z.infer<typeof chartBand>;
export type ChartSeries = z.infer<typeof chartSeries>;
