// cache.stampede's findings: what an unprotected cache-aside path costs the database per expiry, and a protected one
// that still loaded more than once.
import type { StampedeProtection } from '../../config/sections/cache.js';
import type { Finding } from '../../result/model.js';

export interface ProtectionResult {
  protection: StampedeProtection;
  expiries: number;
  loads_per_expiry: number[];
  maxLoads: number;
  meanLoads: number;
  /** Most loads running at once, over every expiry. */
  peak: number;
  load_p50_ms: number;
  /** Readers that missed and waited for a value, over every expiry. */
  readers_waited: number;
  incomplete: number;
}

const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;

const PROTECT = 'Put a lock around the load: SET <key>:lock <token> NX PX <longer than the slowest load>; the reader that gets it loads, checks the key again first, writes the value and deletes the lock only if the token is still its own; the others read the key again every few ms until the value is there. Or refresh early: when the TTL left is below the load time, one reader (holding the same lock) reloads while the others keep reading the old value, so nobody misses. Add jitter to TTLs so keys written together do not expire together.';

function unprotectedCost(r: ProtectionResult, readers: number, source: string, others: ProtectionResult[]): Finding {
  const compared = others.map((o) => `${o.protection}: at most ${o.maxLoads} (peak ${o.peak})`).join('; ');
  // The load's time when only one reader loads: how much the stampede itself slowed the database down.
  const alone = others.find((o) => o.protection === 'lock') ?? others[0];
  const slower = alone && alone.load_p50_ms > 0 ? ` (${ms(alone.load_p50_ms)} when one reader loads, under the ${alone.protection} path)` : '';
  // Information, not a warning: the path measured is stackprobe's own, so it says what an unprotected path costs at
  // these readers and this load time, not that the user's application has one.
  return {
    severity: 'info', subject: 'none',
    title: `an unprotected cache-aside path stampedes: one expiry of a hot key read by ${readers} readers caused up to ${r.maxLoads} database loads, ${r.peak} at once`,
    detail: `Over ${r.expiries} expiries the loads per expiry were ${r.loads_per_expiry.join(', ')} (a protected path makes 1), each load p50 ${ms(r.load_p50_ms)}${slower} from ${source === 'postgresql' ? 'PostgreSQL (a point query on the workload schema)' : 'a fixed cost (no PostgreSQL target)'}. Every reader that reads the key while the first load runs misses and loads too: ${r.maxLoads - 1} extra queries per expiry of each hot key, at ${readers} concurrent readers and this load time; more readers or a slower query make more.${compared ? ` Measured on the same key and loader: ${compared}.` : ''} This is stackprobe's own read path; an application's cache-aside code without a lock or early refresh behaves the same.`,
    recommendation: PROTECT,
    data: { readers, max_loads: r.maxLoads, mean_loads: r.meanLoads, peak: r.peak, load_p50_ms: r.load_p50_ms },
  };
}

export function stampedeFindings(results: ProtectionResult[], readers: number, source: string): Finding[] {
  const out: Finding[] = [];
  const none = results.find((r) => r.protection === 'none');
  const protectedOnes = results.filter((r) => r.protection !== 'none');
  if (none && none.maxLoads > 1) out.push(unprotectedCost(none, readers, source, protectedOnes));
  for (const r of protectedOnes.filter((x) => x.maxLoads > 1)) {
    out.push({
      severity: 'warn', subject: r.protection,
      title: `the ${r.protection} path loaded up to ${r.maxLoads} times for one expiry (a protected path loads once)`,
      detail: `Loads per expiry: ${r.loads_per_expiry.join(', ')}; load p50 ${ms(r.load_p50_ms)}. A second load starts when the lock expires before the first load has written the value.`,
      recommendation: 'Make the lock\'s TTL (cache.stampede.lock_ms here) longer than the slowest load, and check the key again once the lock is held.',
      data: { max_loads: r.maxLoads, loads_per_expiry: r.loads_per_expiry },
    });
  }
  for (const r of results.filter((x) => x.incomplete > 0)) {
    out.push({
      severity: 'error', subject: r.protection,
      title: `${r.incomplete} of ${r.expiries} expiries of the ${r.protection} path did not end: some readers never read the new value before the round's deadline`,
      detail: 'A load or a command that hung, or a lock that was never released.',
      recommendation: 'Look at cache_stampede_load_duration and the Redis and PostgreSQL servers\' health during the check.',
    });
  }
  return out;
}
