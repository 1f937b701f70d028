// Pure judgement of tasks.errors: did a failing task fail with the error it is meant to raise, did a retrying task
// succeed after retrying? Each answer says why not, in words a user can act on.
import type { TaskOutcome } from '../../targets/celery/target.js';

export type Kind = 'failing' | 'retrying';

/** The exception a FAILURE result carries (Celery's JSON: exc_type, exc_message, exc_module). */
export interface TaskError {
  type: string;
  module?: string;
  message: string;
}

export function errorOf(result: unknown): TaskError | undefined {
  if (!result || typeof result !== 'object') return undefined;
  const r = result as { exc_type?: unknown; exc_message?: unknown; exc_module?: unknown };
  if (typeof r.exc_type !== 'string') return undefined;
  const msg = Array.isArray(r.exc_message) ? r.exc_message.map(String).join(', ') : r.exc_message === undefined ? '' : String(r.exc_message);
  return { type: r.exc_type, message: msg, ...(typeof r.exc_module === 'string' ? { module: r.exc_module } : {}) };
}

export function showError(e: TaskError | undefined): string {
  return e ? `${e.type}${e.message ? `: ${e.message}` : ''}` : 'an unreadable error';
}

/** `ValueError` or `ValueError: text`, from config.tasks.failing_task_error. */
export function parseExpectedError(spec: string): { type: string; text?: string } {
  const i = spec.indexOf(': ');
  return i < 0 ? { type: spec.trim() } : { type: spec.slice(0, i).trim(), text: spec.slice(i + 2) };
}

/** Python's own words when a call does not match the function's signature. */
const ARGUMENT_MISMATCH = /positional argument|keyword argument|required (keyword-only |positional )?argument|takes no arguments/;

export function isArgumentError(e: TaskError | undefined): boolean {
  return e?.type === 'TypeError' && ARGUMENT_MISMATCH.test(e.message);
}

function typeMatches(e: TaskError, type: string): boolean {
  return e.type === type || (e.module !== undefined && `${e.module}.${e.type}` === type);
}

export interface Verdict {
  ok: boolean;
  /** Why the outcome is not the expected one (empty when ok). */
  why: string;
}

/** Judges one task's final state (null: none arrived in time) against what its kind must show. */
export function judgeOutcome(kind: Kind, o: TaskOutcome | null, expected?: string): Verdict {
  if (!o) return { ok: false, why: 'no final state arrived in time' };
  const e = o.status === 'FAILURE' ? errorOf(o.result) : undefined;
  if (kind === 'retrying') {
    if (o.status !== 'SUCCESS') return { ok: false, why: `ended in ${o.status}${e ? ` with ${showError(e)}` : ''} after ${o.retries} retr${o.retries === 1 ? 'y' : 'ies'}, not in SUCCESS${isArgumentError(e) ? ' (it was called with the wrong arguments)' : ''}` };
    if (o.retries < 1) return { ok: false, why: 'succeeded without a single retry' };
    return { ok: true, why: '' };
  }
  if (o.status !== 'FAILURE') return { ok: false, why: `ended in ${o.status}, not in FAILURE` };
  const want = expected === undefined ? undefined : parseExpectedError(expected);
  if (isArgumentError(e) && want?.type !== 'TypeError') return { ok: false, why: `failed because it was called with the wrong arguments (${showError(e)}), not with the error it is meant to raise` };
  if (!want) return { ok: true, why: '' };
  if (!e) return { ok: false, why: `failed with an error stackprobe cannot read, expected ${expected}` };
  if (!typeMatches(e, want.type)) return { ok: false, why: `failed with ${showError(e)}, expected ${want.type}` };
  if (want.text !== undefined && !e.message.includes(want.text)) return { ok: false, why: `failed with ${showError(e)}, expected a message containing "${want.text}"` };
  return { ok: true, why: '' };
}
