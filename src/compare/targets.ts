// Which servers a run tested, for comparing two runs: differing targets are said before any figure is compared.
import type { RunResult } from '../result/model.js';
import { redactUrl } from '../util/redact.js';

/** `127.0.0.1:5432/app`: a target's host, port and database, credentials never included; `–` when not tested. */
export function targetLabel(result: RunResult, key: string): string {
  const t = result.environment.targets[key];
  if (!t) return '–';
  const redacted = redactUrl(t.url);
  try {
    const u = new URL(redacted);
    return `${u.host}${u.pathname === '/' ? '' : u.pathname}${t.private ? ' (private)' : ''}`;
  } catch (err) {
    // run.json stores URLs already redacted and parsable; a hand-edited one is shown as stored (redacted again).
    if (!(err instanceof TypeError)) throw err;
    return redacted;
  }
}

export interface TargetDifference {
  service: string;
  baseline: string;
  current: string;
}

/**
 * The services whose target differs between two runs (host, port, database; a private server started per run counts
 * as the same target). A private embedded PostgreSQL gets a new port each run, so only its being private is compared.
 */
export function targetDifferences(baseline: RunResult, current: RunResult): TargetDifference[] {
  const keys = new Set([...Object.keys(baseline.environment.targets), ...Object.keys(current.environment.targets)]);
  const out: TargetDifference[] = [];
  for (const key of keys) {
    const b = baseline.environment.targets[key];
    const c = current.environment.targets[key];
    const same = b && c && (b.private && c.private ? true : targetLabel(baseline, key) === targetLabel(current, key));
    if (!same) out.push({ service: key, baseline: targetLabel(baseline, key), current: targetLabel(current, key) });
  }
  return out;
}
