// pool.sizing's figures and findings: each size with its spread over the rounds, and a recommendation only beyond the noise.
import type { CheckContext } from '../types.js';
import { round } from './acquire.js';
import type { ServerCores } from './cores.js';
import { configuredShortfall, coreLimitFor, figuresOf, judgeSweep, type SizeFigures, type SizeSamples, type SweepVerdict } from './sweep.js';
import { CONFIGURED_SIZE_SHORTFALL, RECOMMENDED_POOL_SIZE } from './metrics.js';

const rps = (v: number) => Math.round(v).toLocaleString('en-US');
const figure = (p: SizeFigures) => `${rps(p.median)} req/s (${rps(p.min)}–${rps(p.max)})`;

function coresWords(c: ServerCores): string {
  if (c.source === 'config') return `${c.cores} server cores (config pool.sweep.server_cores)`;
  if (c.source === 'local host') return `${c.cores} cores of this host, taken as the server's because the server is local (it shares them with stackprobe)`;
  return 'server cores unknown (set pool.sweep.server_cores to cap the recommendation)';
}

function title(v: SweepVerdict, chosen: SizeFigures): string {
  if (v.kind === 'none') {
    const which = v.referenceIs === 'configured' ? `${v.reference.size} (the configured size)` : `${v.reference.size} (the smallest size as good as the best within the noise)`;
    return `No size is measurably better than ${which}: ${figure(v.reference)}`;
  }
  if (v.referenceMissedP95) return `Pool size ${v.size} is better than ${v.reference.size} (configured): its p95 was ${round(chosen.p95)} ms, where ${v.reference.size}'s missed the limit in every round (p95 ${round(v.reference.p95)} ms); ${figure(chosen)} against ${figure(v.reference)}`;
  return `Pool size ${v.size} is measurably better than ${v.reference.size} (${v.referenceIs}): ${figure(chosen)} against ${figure(v.reference)}, beyond the noise between rounds`;
}

function recommendation(v: SweepVerdict, configured: number): string | undefined {
  if (v.kind === 'better' && v.size !== configured) {
    return `Set the application's pool size near ${v.size} per instance (keep instances × size under max_connections); re-run with your real concurrency (config.pool.sweep.concurrency) before changing production.`;
  }
  if (v.kind === 'none' && v.referenceIs === 'configured' && v.smallestAdequate.size < configured) {
    return `Size ${v.smallestAdequate.size} did as well as ${configured} within the noise: a smaller pool per instance leaves connection slots for other instances.`;
  }
  return undefined;
}

export function reportSweep(ctx: CheckContext, samples: SizeSamples[], o: { concurrency: number; cores: ServerCores }): void {
  const cfg = ctx.config.pool;
  const figs = samples.map(figuresOf);
  ctx.info('per_size', figs.map((p) => ({ size: p.size, rps: Math.round(p.median), rps_min: Math.round(p.min), rps_max: Math.round(p.max), rounds: p.rounds.map(Math.round), p95_ms: round(p.p95), round_p95_ms: (p.roundP95 ?? []).map(round), error_rate: p.errorRate })));
  const coreLimit = coreLimitFor(o.cores.cores);
  const v = judgeSweep(samples, { configured: cfg.size, minGain: cfg.sweep.tolerance, p95LimitMs: ctx.config.thresholds.query_time_ms, maxErrorRate: ctx.config.thresholds.query_error_rate, coreLimit });
  if (!v) {
    ctx.finding({ severity: 'error', subject: 'pool size', title: 'No pool size served requests without errors', recommendation: 'See the sweep errors; the server refused or failed the query mix at every size.' });
    return;
  }
  ctx.metrics.gauge(RECOMMENDED_POOL_SIZE).set(v.size);
  const shortfall = configuredShortfall(samples, cfg.size, v.best, cfg.sweep.tolerance);
  ctx.metrics.gauge(CONFIGURED_SIZE_SHORTFALL).set(shortfall);
  ctx.info('sweep_verdict', { kind: v.kind, size: v.size, reference: v.reference.size, reference_is: v.referenceIs, best: v.best.size, smallest_adequate: v.smallestAdequate.size, core_limit: coreLimit ?? null });
  const chosen = figs.find((p) => p.size === v.size)!;
  ctx.rate('throughput_rps', `sweep_throughput{size:${v.size}}`, chosen.median);
  const rounds = figs[0]?.rounds.length ?? 0;
  const why: string[] = [];
  if (v.beyondCores) why.push(`Size ${v.size} is above ${coreLimit} (2 per core; ${coresWords(o.cores)}); it is recommended because it beat the best size within that limit, ${v.beyondCores.size} at ${figure(v.beyondCores)}, by more than the noise.`);
  else if (coreLimit !== undefined && v.kind === 'better' && v.size > coreLimit) why.push(`Size ${v.size} is above ${coreLimit} (2 per core; ${coresWords(o.cores)}); no size within that limit served the mix without errors, so there is nothing within it to compare.`);
  else if (v.cappedAt !== undefined) why.push(`Sizes above ${v.cappedAt} (2 per core; ${coresWords(o.cores)}) were faster here only within the noise, so none is recommended.`);
  else why.push(`Core limit: ${coreLimit === undefined ? coresWords(o.cores) : `${coreLimit} connections (2 per core; ${coresWords(o.cores)})`}.`);
  const curve = figs.map((p) => `${p.size}: ${figure(p)}, p95 ${round(p.p95)} ms`).join('; ');
  ctx.finding({
    severity: shortfall > 1 - cfg.sweep.warn_below || (v.kind === 'better' && v.referenceMissedP95) ? 'warn' : 'info',
    subject: 'pool size',
    title: title(v, chosen),
    detail: `${rounds} rounds per size in alternating order, ${o.concurrency} concurrent requests, a short read-only mix (catalog lookup, small aggregation); median (min–max) per size: ${curve}. A size counts as better only when its median beats the other's by more than the two sizes' spreads together and by more than ${Math.round(cfg.sweep.tolerance * 100)}%. ${why.join(' ')}${v.p95Met ? '' : ` Every size missed p95 ${ctx.config.thresholds.query_time_ms} ms in every round; sizes were compared on throughput alone.`}`,
    ...(recommendation(v, cfg.size) ? { recommendation: recommendation(v, cfg.size)! } : {}),
    data: { kind: v.kind, size: v.size, reference: v.reference.size, best: v.best.size, configured: cfg.size, shortfall, core_limit: coreLimit ?? null, cores_from: o.cores.source },
  });
}
