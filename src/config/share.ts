// Shares in the config (error rates, success rates, hit rates): 0.01 or "1%". A bare number above 1, or exactly 1, is
// rejected: `query_error_rate: 1` reads as 1 % to a person and as 100 % to the tool, and `80` for a hit rate is not a share.
import { z } from 'zod';

const PERCENT = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/;
const GENERIC = 'expected a share between 0 and 1 (e.g. 0.95) or a percentage (e.g. "95%")';

/** `n / 100` without binary noise: 99.9 → 0.999, not 0.9990000000000001. */
function hundredth(n: number): number {
  return Number((n / 100).toPrecision(12));
}

/** The share a config value means, or why it is rejected (a message starting with "expected", like the schema's). */
export function parseShare(value: unknown): { ok: true; share: number } | { ok: false; message: string } {
  if (typeof value === 'string') {
    const m = PERCENT.exec(value);
    const n = m ? Number(m[1]) : Number.NaN;
    return n >= 0 && n <= 100 ? { ok: true, share: hundredth(n) } : { ok: false, message: GENERIC };
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return { ok: false, message: GENERIC };
  if (value < 1) return { ok: true, share: value };
  if (value === 1) return { ok: false, message: 'expected 0.01 or "1%" for one percent, or "100%" for all (1 alone is ambiguous for a share)' };
  if (value <= 100) return { ok: false, message: `expected ${hundredth(value)} or "${value}%" (${value} alone is ambiguous for a share)` };
  return { ok: false, message: GENERIC };
}

/** A zod schema for a share: accepts 0.8 and "80%", gives the number 0.8. */
export function shareSchema() {
  return z.union([z.number(), z.string()], { error: GENERIC }).transform((value, ctx) => {
    const parsed = parseShare(value);
    if (parsed.ok) return parsed.share;
    ctx.issues.push({ code: 'custom', message: parsed.message, input: value });
    return z.NEVER;
  });
}
