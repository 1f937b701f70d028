// The one zod schema of run.json: every reader (report, compare, merge, history, run --baseline) goes through it, so a
// crafted or damaged file exits 2 naming the JSON path of its first problem instead of crashing a reporter.
import { z } from 'zod';
import { Trend } from '../metrics/trend.js';
import { SCHEMA_VERSION, type RunResult } from './model.js';

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

const meaning = z.enum(['latency', 'duration', 'throughput', 'count', 'defects', 'state', 'share', 'size']);
const metricBase = {
  name: text,
  tags,
  unit: text,
  meaning: meaning.optional(),
  better: z.enum(['lower', 'higher', 'none']).optional(),
  description: text.optional(),
  basis: z.enum(['measured', 'derived', 'expected', 'cumulative', 'client']).optional(),
  controlFor: text.optional(),
  headline: z.boolean().optional(),
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

const trendSummary = z.looseObject({
  count,
  min: figure,
  max: figure,
  mean: figure,
  stdev: figure,
  percentiles: z.record(z.string(), figure),
});

const metric = z.discriminatedUnion('type', [
  z.looseObject({ ...metricBase, type: z.literal('trend'), summary: trendSummary, histogram }),
  z.looseObject({ ...metricBase, type: z.literal('rate'), hits: count, total: count, value: figure }),
  z.looseObject({ ...metricBase, type: z.literal('counter'), count: figure, perSecond: figure.optional() }),
  z.looseObject({ ...metricBase, type: z.literal('gauge'), value: figure, min: figure, max: figure }),
]);

const point = z.tuple([
  z.number().min(-RUN_JSON_LIMITS.seriesX).max(RUN_JSON_LIMITS.seriesX, { error: `expected seconds since the check started (at most ${RUN_JSON_LIMITS.seriesX})` }),
  figure,
]);

const timeSeries = z.looseObject({ name: text, tags, unit: text, points: list(point, RUN_JSON_LIMITS.points) });

const threshold = z.looseObject({
  metric: text,
  expression: text,
  level: z.enum(['fail', 'warn']),
  ok: z.boolean(),
  actual: z.number().nullable(),
  unit: text,
  source: text,
  untrusted: z.literal(true).optional(),
});

const severity = z.enum(['info', 'warn', 'error']);

const check = z.looseObject({
  id: text,
  category: text,
  title: text,
  status: z.enum(['pass', 'warn', 'fail', 'untrusted', 'skip']),
  reason: text.optional(),
  startedAt: text,
  durationMs: figure,
  metrics: list(metric),
  timeSeries: list(timeSeries),
  thresholds: list(threshold),
  ratings: list(z.looseObject({ metric: text, kind: z.enum(['response_time_ms', 'throughput_rps', 'hit_rate']), value: figure, band: z.enum(['excellent', 'good', 'acceptable', 'poor']) })),
  findings: list(z.looseObject({
    severity, title: text, detail: text.optional(), subject: text.optional(), recommendation: text.optional(), data: freeForm.optional(),
  })),
  info: freeForm,
});

const environment = z.looseObject({
  tool: z.looseObject({ name: text, version: text }),
  client: z.looseObject({ hostname: text, platform: text, arch: text, cpus: count, cpuModel: text, memoryBytes: count, node: text }),
  targets: z.record(z.string(), z.looseObject({
    kind: text, url: text, private: z.boolean(), version: text.optional(), settings: z.record(z.string(), z.string()).optional(),
  })),
  unavailable: z.record(z.string(), z.string()),
  unopened: z.record(z.string(), z.string()).optional(),
});

const summary = z.looseObject({
  total: count,
  passed: count,
  warned: count,
  failed: count,
  untrusted: count.optional(),
  skipped: count,
  successRate: figure,
  responseTime: trendSummary.nullable(),
  process: z.looseObject({ cpuUserMs: figure, cpuSystemMs: figure, cpuPercent: figure, maxRssMb: figure }),
  thresholds: list(threshold),
});

export const RunResultSchema = z.looseObject({
  schemaVersion: z.literal(SCHEMA_VERSION),
  mode: z.enum(['quick', 'full', 'load-test']),
  readOnly: z.boolean(),
  interrupted: z.boolean(),
  startedAt: text,
  endedAt: text,
  durationMs: figure,
  environment,
  checks: list(check, RUN_JSON_LIMITS.checks),
  summary,
  recommendations: list(z.looseObject({ checkId: text, severity, text }), RUN_JSON_LIMITS.recommendations),
});

/** `checks[3].metrics[0].summary`, the way a user would find it in the file. */
export function jsonPath(path: PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (typeof part === 'string' && /^[A-Za-z_$][\w$]*$/.test(part)) out += out ? `.${part}` : part;
    else out += `[${JSON.stringify(String(part))}]`;
  }
  return out || '(the top level)';
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

/** The value at `path` in `data`, to say what was found there. */
function at(data: unknown, path: PropertyKey[]): unknown {
  let v = data;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

function describeIssue(issue: z.core.$ZodIssue, data: unknown): string {
  const where = jsonPath(issue.path);
  if (issue.code === 'invalid_type') {
    const found = at(data, issue.path);
    const expected = issue.expected === 'object' || issue.expected === 'record' ? 'an object' : issue.expected === 'array' ? 'an array' : `a ${issue.expected}`;
    return found === undefined ? `${where}: missing (expected ${expected})` : `${where}: expected ${expected}, found ${kindOf(found)}`;
  }
  if (issue.code === 'invalid_value') return `${where}: expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  if (issue.code === 'invalid_union') return `${where}: not a metric stackprobe writes (type trend, rate, counter or gauge with their fields)`;
  return `${where}: ${issue.message}`;
}

/**
 * Validates parsed run.json data. Returns the result, or the first problem as one line naming its JSON path.
 * The schema version is checked first, so a file from another version says so instead of listing field differences.
 */
export function validateRunResult(data: unknown): { ok: true; result: RunResult } | { ok: false; problem: string } {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { ok: false, problem: `expected a JSON object, found ${kindOf(data)}` };
  const version = (data as Record<string, unknown>).schemaVersion;
  if (version === undefined) return { ok: false, problem: 'missing field "schemaVersion"' };
  if (version !== SCHEMA_VERSION) {
    return { ok: false, problem: `schemaVersion ${JSON.stringify(version)} is not supported; this version of stackprobe reads schemaVersion ${SCHEMA_VERSION}` };
  }
  const parsed = RunResultSchema.safeParse(data);
  if (!parsed.success) return { ok: false, problem: describeIssue(parsed.error.issues[0]!, data) };
  return { ok: true, result: parsed.data as unknown as RunResult };
}
