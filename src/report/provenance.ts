// Whose figures these are and what the run wrote where: read from what the checks recorded (the workload they shared,
// the read guard they ran the user's SQL through, the scratch databases, keys and tasks they noted), never from names.
import type { CheckResult, Recommendation, RunResult } from '../result/model.js';
import { formatNumber } from './format.js';

export interface Provenance {
  /** Checks whose figures are of stackprobe's synthetic workload (they shared the run's workload schema). */
  synthetic: string[];
  /** Checks that ran the user's own SQL (through the run's read guard): queries.custom, load.replay, invariants. */
  yours: string[];
  /** What the run created on the user's servers (all removed at its end, but a schema kept with --keep-data). */
  written: string[];
  /** What it sent that is not removed but consumed (Celery probe tasks, run by the workers). */
  sent: string[];
}

interface WorkloadInfo { schema: string; rows?: Record<string, number>; kept?: boolean }

const record = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const count = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);

/** The shared resources a check used (recorded by the run as `info.shared`; absent in files written before it existed). */
function sharedOf(c: CheckResult): string[] {
  const s = c.info.shared;
  return Array.isArray(s) ? s.filter((k): k is string => typeof k === 'string') : [];
}

function workloadOf(c: CheckResult): WorkloadInfo | undefined {
  const w = record(c.info.workload);
  return w && typeof w.schema === 'string' ? { schema: w.schema, ...(record(w.rows) ? { rows: w.rows as Record<string, number> } : {}), kept: w.kept === true } : undefined;
}

/** The database a URL names (credentials are already removed from it). */
export function databaseOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || undefined;
  } catch (err) {
    void err; // not a URL (a hand-edited file): the server is still named by its key
    return undefined;
  }
}

export function provenance(result: RunResult): Provenance {
  const ran = result.checks.filter((c) => c.status !== 'skip');
  const workloadCheck = ran.find((c) => workloadOf(c) !== undefined);
  const synthetic = ran.filter((c) => sharedOf(c).includes('workload') || c === workloadCheck).map((c) => c.id);
  const yours = ran.filter((c) => sharedOf(c).includes('safety.read-guard')).map((c) => c.id);
  const pg = result.environment.targets.pg;
  const where = pg?.private ? 'stackprobe\'s private PostgreSQL' : `database ${databaseOf(pg?.url) ?? 'of DATABASE_URL'}`;
  const written: string[] = [];
  const sent: string[] = [];
  const w = workloadCheck ? workloadOf(workloadCheck) : undefined;
  if (w) {
    const rows = Object.values(w.rows ?? {}).reduce((n, r) => n + (count(r) ?? 0), 0);
    written.push(`schema ${w.schema} in ${where}${rows ? ` (${formatNumber(rows)} rows${w.kept ? ', kept: --keep-data' : ''})` : w.kept ? ' (kept: --keep-data)' : ''}`);
  }
  for (const c of ran) {
    if (typeof c.info.scratchDatabase === 'string') written.push(`scratch database ${c.info.scratchDatabase}`);
  }
  // The cache checks note the keys they write as `setup.keys` or `workload.keys` (the queries workload notes rows, no keys).
  const keys = ran.reduce((n, c) => n + (count(record(c.info.setup)?.keys) ?? count(record(c.info.workload)?.keys) ?? 0), 0);
  if (keys > 0) written.push(`${formatNumber(keys)} Redis keys`);
  const tasks = ran.reduce((n, c) => n + (count(record(c.info.probe)?.tasks) ?? count(record(c.info.tasks)?.sent) ?? 0), 0);
  if (tasks > 0) sent.push(`${formatNumber(tasks)} probe tasks to your Celery workers`);
  return { synthetic, yours, written, sent };
}

/** Check ids shortened to their categories where every run check of a category is in the list (`queries, load.mixed`). */
export function checkGroups(ids: string[], result: RunResult): string {
  const out: string[] = [];
  for (const id of ids) {
    const category = result.checks.find((c) => c.id === id)?.category ?? id;
    const all = result.checks.filter((c) => c.category === category && c.status !== 'skip').map((c) => c.id);
    const label = all.every((x) => ids.includes(x)) ? category : id;
    if (!out.includes(label)) out.push(label);
  }
  return out.join(', ');
}

/** `schema stackprobe in database shop (158,495 rows), 4,000 Redis keys: all removed; 470 probe tasks to your Celery workers`. */
export function writtenSentence(p: Provenance): string {
  const kept = p.written.some((w) => w.includes('kept: --keep-data'));
  const all = p.written.length > 1 ? 'all ' : '';
  const removed = p.written.length ? `${p.written.join(', ')}: ${kept ? `${all}removed but the kept schema` : `${all}removed`}` : '';
  return [removed, ...p.sent].filter(Boolean).join('; ');
}

/**
 * The sentences the first screen and report.md carry: whose figures, and what was written where. Empty for a run
 * that measured no workload, ran none of the user's SQL and wrote nothing.
 */
export function provenanceSentences(result: RunResult): { figures?: string; written?: string } {
  const p = provenance(result);
  const parts: string[] = [];
  if (p.synthetic.length) parts.push(`${checkGroups(p.synthetic, result)} measured stackprobe's synthetic workload, not your tables`);
  if (p.yours.length) parts.push(`${checkGroups(p.yours, result)} ran your own SQL`);
  return {
    ...(parts.length ? { figures: `${parts.join('; ')}.` } : {}),
    ...(p.written.length || p.sent.length ? { written: writtenSentence(p) } : {}),
  };
}

/**
 * Which server or database a service key stands for in this run, for advice: `database shop`, `redis 10.0.0.5:6379`,
 * or `stackprobe's private PostgreSQL` for a throwaway server the run started (advice about it is not about yours).
 */
export function targetName(result: RunResult, key: string): string {
  const t = result.environment.targets[key];
  if (!t) return key;
  if (t.private) return `stackprobe's private ${key === 'pg' ? 'PostgreSQL' : key} server`;
  if (key === 'pg') {
    const db = databaseOf(t.url);
    if (db) return `database ${db}`;
  }
  try {
    return `${key} ${new URL(t.url).host}`;
  } catch (err) {
    void err; // not a URL: the key alone still names the service
    return key;
  }
}

/**
 * The run's recommendations with those about the user's own servers first: advice about stackprobe's private,
 * throwaway servers (a run with no URLs) comes after, whatever its severity. Stable otherwise (most severe first).
 */
export function rankRecommendations(result: RunResult): Recommendation[] {
  const throwaway = (r: Recommendation) => (r.target !== undefined && result.environment.targets[r.target]?.private === true ? 1 : 0);
  return [...result.recommendations].sort((a, b) => throwaway(a) - throwaway(b));
}

/** `cache.server (redis 10.0.0.5:6379)`: the check and, when known, the server or database the advice is about. */
export function recommendationLabel(r: Recommendation, result: RunResult): string {
  return `${r.checkId}${r.target ? ` (${targetName(result, r.target)})` : ''}`;
}
