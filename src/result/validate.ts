// Validates run.json against its one zod schema (src/result/model.ts): every reader (report, compare, merge, history,
// run --baseline) goes through it, so a crafted or damaged file exits 2 naming the JSON path of its first problem
// instead of crashing a reporter. Files of the previous schema version are read through src/result/upgrade.ts.
import type { z } from 'zod';
import { RunResultSchema, SCHEMA_VERSION, type RunResult } from './model.js';
import { upgradeFromV1 } from './upgrade.js';

export { RUN_JSON_LIMITS } from './model.js';

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
 * Validates parsed run.json data. Returns the result (in the current version's shape), or the first problem as one
 * line naming its JSON path. The schema version is checked first, so a file from another version says so instead of
 * listing field differences.
 */
export function validateRunResult(data: unknown): { ok: true; result: RunResult } | { ok: false; problem: string } {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return { ok: false, problem: `expected a JSON object, found ${kindOf(data)}` };
  const version = (data as Record<string, unknown>).schemaVersion;
  if (version === undefined) return { ok: false, problem: 'missing field "schemaVersion"' };
  if (version !== SCHEMA_VERSION && version !== 1) {
    return { ok: false, problem: `schemaVersion ${JSON.stringify(version)} is not supported; this version of stackprobe reads schemaVersion 1 and ${SCHEMA_VERSION}` };
  }
  const current = version === 1 ? upgradeFromV1(data as Record<string, unknown>) : data;
  const parsed = RunResultSchema.safeParse(current);
  if (!parsed.success) return { ok: false, problem: describeIssue(parsed.error.issues[0]!, current) };
  return { ok: true, result: parsed.data };
}
