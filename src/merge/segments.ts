// Which segments a merge was given: one run's, each once; the missing ones by name; and how far apart their stages started.
import type { CheckResult, RunResult } from '../result/model.js';
import { ConfigError } from '../util/errors.js';

interface StartFacts {
  run_id: string;
  start_at: string;
  offset_ms: number;
  clock_error_ms: number;
}

interface Distribution {
  segment?: string;
  workers?: number;
  run_id?: string;
  start?: StartFacts;
}

/** The check that ran a segment of the load says so in its `distribution` info (whichever check that is). */
function segmentedCheck(r: RunResult): CheckResult | undefined {
  return r.checks.find((c) => c.status !== 'skip' && c.info.distribution !== undefined);
}

const distributionOf = (r: RunResult): Distribution | undefined => segmentedCheck(r)?.info.distribution as Distribution | undefined;

/** The segment a result ran (`i/n`), from its segmented check; `1/1` when it has none. */
export function segmentOf(r: RunResult): string {
  return distributionOf(r)?.segment ?? '1/1';
}

export interface SegmentFacts {
  /** `i/n` of the segments given, in the order given. */
  labels: string[];
  count: number;
  /** `i/n` of the segments of the run that were not given. */
  missing: string[];
  runId?: string;
  /**
   * The largest possible gap between two segments' starts of stage 1 (ms): from each segment's offset to the agreed
   * instant and the uncertainty of its clock reading. Undefined when the results carry no start facts.
   */
  maxSkewMs?: number;
  skewBySegment: Record<string, number>;
  warnings: string[];
}

function startSkew(results: RunResult[], labels: string[]): Pick<SegmentFacts, 'maxSkewMs' | 'skewBySegment'> {
  const starts = results.map((r) => distributionOf(r)?.start);
  const given = starts.flatMap((s, i) => (s ? [{ s, label: labels[i]! }] : []));
  if (given.length === 0) return { skewBySegment: {} };
  const instants = new Set(given.map((g) => g.s.start_at));
  if (instants.size > 1) throw new ConfigError(`the segments started at different agreed instants (${[...instants].join(', ')}): they are not segments of one run`);
  const late = Math.max(...given.map((g) => g.s.offset_ms + g.s.clock_error_ms));
  const early = Math.min(...given.map((g) => g.s.offset_ms - g.s.clock_error_ms));
  // One segment alone can still be off its own instant: the skew is never smaller than its distance from it.
  const maxSkewMs = Math.max(late - early, ...given.map((g) => Math.abs(g.s.offset_ms) + g.s.clock_error_ms));
  return { maxSkewMs: Math.round(maxSkewMs * 100) / 100, skewBySegment: Object.fromEntries(given.map((g) => [g.label, g.s.offset_ms])) };
}

/** Refuses results of different splits or runs and a segment given twice; names what is missing. */
export function segmentFacts(results: RunResult[], files: string[]): SegmentFacts {
  const warnings: string[] = [];
  const labels = results.map(segmentOf);
  const counts = new Set(labels.map((s) => s.split('/')[1]));
  if (counts.size > 1) throw new ConfigError(`the results come from different splits (${labels.join(', ')}): merge segments of one run only`);
  const seen = new Map<string, string>();
  labels.forEach((s, i) => {
    if (s !== '1/1' && seen.has(s)) throw new ConfigError(`${files[i]}: segment ${s} is also in ${seen.get(s)}; each segment once`);
    seen.set(s, files[i]!);
  });
  const runIds = new Set(results.map((r) => distributionOf(r)?.run_id).filter((x): x is string => x !== undefined));
  if (runIds.size > 1) throw new ConfigError(`the results come from different runs (run ids ${[...runIds].join(', ')}): merge segments of one run only`);
  const count = Number([...counts][0]);
  const missing = Array.from({ length: count }, (_, i) => `${i + 1}/${count}`).filter((s) => count > 1 && !seen.has(s));
  if (missing.length) warnings.push(`segment${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing (given: ${[...seen.keys()].sort().join(', ')}): the merged load is only a part of the planned load`);
  if (new Set(results.map((r) => r.mode)).size > 1) warnings.push(`the results ran in different modes (${results.map((r) => r.mode).join(', ')})`);
  return { labels, count, missing, ...(runIds.size ? { runId: [...runIds][0]! } : {}), ...startSkew(results, labels), warnings };
}

/**
 * The merged segmented check speaks for the whole run: its distribution names the segments merged and the skew, and the
 * segments' own "partial result" notes are dropped (a missing segment keeps it partial, and says so).
 */
export function markMerged(check: CheckResult, facts: SegmentFacts): CheckResult {
  if (check.info.distribution === undefined || facts.count <= 1) return check;
  const d = check.info.distribution as Distribution;
  const distribution = {
    segments: facts.labels, count: facts.count, workers: d.workers, ...(facts.runId ? { run_id: facts.runId } : {}),
    partial: facts.missing.length > 0, ...(facts.missing.length ? { missing: facts.missing } : {}),
    ...(facts.maxSkewMs !== undefined ? { max_start_skew_ms: facts.maxSkewMs, start_offset_ms: facts.skewBySegment } : {}),
  };
  const findings = check.findings.filter((f) => f.subject !== 'segment');
  if (facts.missing.length) {
    findings.unshift({
      severity: 'error', subject: 'segment', title: `segment${facts.missing.length > 1 ? 's' : ''} ${facts.missing.join(', ')} of ${facts.count} missing from the merge`,
      detail: 'The merged figures cover only the segments given: a part of the planned load, so the verdict is not the whole run\'s.',
      recommendation: 'Find why the segment did not finish (its pod\'s log, `kubectl get pods`), or re-run the whole Job.',
    });
  }
  return { ...check, info: { ...check.info, distribution }, findings };
}
