// Reads run.json files of schema version 1 as version 2: fills the fields version 1 may lack with what its readers
// took them to mean, so results written before the bump still load in report, compare, merge and history.
import { defaultMeta } from '../metrics/meaning.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const objects = (v: unknown): Json[] => (Array.isArray(v) ? v.filter(isObject) : []);
const METRIC_TYPES = new Set(['trend', 'rate', 'counter', 'gauge']);

/**
 * A version 1 metric without a declared meaning was never judged: it keeps its type's neutral meaning and `better:
 * none`; one with a meaning but no direction was not judged either (version 1's compare read a missing `better` as none).
 */
function upgradeMetric(m: Json): Json {
  if (typeof m.type !== 'string' || !METRIC_TYPES.has(m.type)) return m;
  const meaning = m.meaning ?? defaultMeta(m.type as 'trend' | 'rate' | 'counter' | 'gauge').meaning;
  return { ...m, meaning, better: m.better ?? 'none' };
}

/**
 * Version 1 data (parsed, not yet validated) in version 2's shape. Only what is missing is filled; anything malformed
 * is left as it is, so the version 2 schema names the same JSON path a version 1 reader would have.
 */
export function upgradeFromV1(data: Json): Json {
  const checks = Array.isArray(data.checks)
    ? data.checks.map((c: unknown) => (isObject(c) && Array.isArray(c.metrics) ? { ...c, metrics: c.metrics.map((m: unknown) => (isObject(m) ? upgradeMetric(m) : m)) } : c))
    : data.checks;
  const untrusted = objects(data.checks).filter((c) => c.status === 'untrusted').length;
  const summary = isObject(data.summary) ? { untrusted, ...data.summary } : data.summary;
  const environment = isObject(data.environment) ? { unopened: {}, ...data.environment } : data.environment;
  return { ...data, schemaVersion: 2, checks, summary, environment };
}
