// Folds a Redis key name into its pattern (`user:{id}:session`): the variable parts become placeholders, so a key is never shown whole.

/** Longest pattern kept; a longer one is cut (a key name can be kilobytes). */
export const MAX_PATTERN_CHARS = 100;

// Order matters: a uuid contains hex and digit runs, a hash contains digits, a token may contain all of them.
// Dashed only: 32 hex digits without dashes are as often an MD5 as a uuid, and fold as {hash}.
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const HASH = /(?<![A-Za-z0-9])[0-9a-f]{16,}(?![A-Za-z0-9])|(?<![A-Za-z0-9])[0-9A-F]{16,}(?![A-Za-z0-9])/g;
/** Base64/base64url-ish runs of 16+ characters holding both a letter and a digit: session ids, API tokens, JWT parts. */
const TOKEN = /[A-Za-z0-9+=_-]{16,}/g;
const LONG_DIGITS = /\d{4,}/g;
/** A run of digits that is a whole segment between separators (`user:42:x`, `page.3`). */
const DIGIT_SEGMENT = /(?<=^|[^A-Za-z0-9{}])\d+(?=$|[^A-Za-z0-9{}])/g;
/** Anything not printable ASCII: binary keys and terminal control characters never reach a report raw. */
const UNPRINTABLE = /[^\x20-\x7e]+/g;

function foldToken(run: string): string {
  if (!/[0-9]/.test(run) || !/[A-Za-z]/.test(run)) return run;
  // A run of words joined by `-`/`_` with a digit in a short word (`celery-task-meta`, `v2_extended_profile`) stays.
  const parts = run.split(/[-_]/);
  if (parts.length > 1 && parts.every((p) => p.length < 12)) return run;
  return '{token}';
}

/** The pattern of a key: uuids, long hex hashes, token-like runs and digit ids folded into placeholders. */
export function keyPattern(key: string): string {
  const folded = key
    .replace(UNPRINTABLE, '?')
    .replace(UUID, '{uuid}')
    .replace(HASH, '{hash}')
    .replace(TOKEN, foldToken)
    .replace(LONG_DIGITS, '{id}')
    .replace(DIGIT_SEGMENT, '{id}');
  return folded.length > MAX_PATTERN_CHARS ? `${folded.slice(0, MAX_PATTERN_CHARS - 1)}…` : folded;
}

/** True when the pattern has a placeholder, i.e. it may stand for more than one key (a literal pattern is exactly one key). */
export function isVariable(pattern: string): boolean {
  return /\{(?:id|uuid|hash|token)\}|\?|…$/.test(pattern);
}
