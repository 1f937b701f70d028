// What the load check tells the user in words: the saturation point, the degradation, errors, a saturated generator.
import type { Finding } from '../../result/model.js';
import { redactText } from '../../util/redact.js';
import type { Limits, Saturation, StageFigures } from './analyse.js';

const ms = (v: number) => `${v.toFixed(1)} ms`;

export function stageLine(s: StageFigures): string {
  const kinds = Object.entries(s.errorKinds).map(([k, n]) => `${k}×${n}`).join(', ');
  // Older results (before offered/started/completed were kept) have only requests.
  const counts = s.offered === undefined ? `${s.requests} requests` : `offered ${s.offered}, started ${s.started}, completed ${s.completed}, succeeded ${s.succeeded}, dropped ${s.dropped}`;
  return `stage ${s.stage} (${s.level} ${s.unit}): ${counts}; ${s.throughput.toFixed(1)} req/s succeeded, p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, p99 ${ms(s.p99)}, errors ${(s.errorRate * 100).toFixed(1)} %${kinds ? ` (${kinds})` : ''}${s.degradation !== null ? `, p95 ×${s.degradation.toFixed(2)} of stage 1` : ''}`;
}

export function saturationFinding(stages: StageFigures[], sat: Saturation, limits: Limits): Finding {
  const detail = stages.map(stageLine).join('\n');
  const data = { saturation: sat, limits };
  if (sat.firstBeyond === null) {
    const top = stages[stages.length - 1];
    return { severity: 'info', subject: 'saturation', title: `not saturated up to ${top?.level ?? '?'} ${sat.unit}: saturation point not reached (left unset)`, detail: `${sat.reason}.\n${detail}`, data };
  }
  const title = sat.level === null ? `saturated already at the first stage: saturation point below it (left unset)` : `saturation point: ${sat.level} ${sat.unit}`;
  return {
    severity: 'warn', subject: 'saturation', title, detail: `${sat.reason}.\n${detail}`, data,
    recommendation: sat.level === null
      ? 'Start the stages lower (config.load.stages) to find where the system still copes, and look at the slowest steps (load_step_duration) and the resource series for the bottleneck.'
      : `Plan for at most ${sat.level} ${sat.unit} per instance of this stack, or remove the bottleneck: compare load_step_duration per step and the PostgreSQL/Redis/host series around stage ${sat.firstBeyond}.`,
  };
}

export function errorFinding(stages: StageFigures[], messages: string[]): Finding | null {
  const kinds: Record<string, number> = {};
  let errors = 0;
  for (const s of stages) for (const [k, n] of Object.entries(s.errorKinds)) { kinds[k] = (kinds[k] ?? 0) + n; errors += n; }
  if (errors === 0) return null;
  const total = stages.reduce((n, s) => n + s.requests, 0);
  const list = Object.entries(kinds).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k}: ${n}`).join(', ');
  return {
    severity: 'warn', subject: 'errors', title: `${errors} of ${total} requests failed under load (${list})`,
    detail: messages.length ? `First errors: ${messages.map(redactText).join(' | ')}` : undefined,
    recommendation: kinds.dropped
      ? 'Requests were dropped because every virtual user was busy: the system (or config.load.max_vus) could not keep up with the arrival rate.'
      : 'See load_errors_per_s for when the errors happened and load_error_kinds for their kinds.',
    data: { kinds },
  } as Finding;
}

export function generatorFinding(seconds: number, peakCpu: number, peakDelay: number, limitMs: number): Finding {
  return {
    severity: 'warn', subject: 'load generator', title: `stackprobe itself was a bottleneck for ${seconds} s`,
    detail: `Its CPU peaked at ${peakCpu.toFixed(0)} % and its event-loop delay p99 at ${peakDelay.toFixed(1)} ms (limit ${limitMs} ms): latencies and throughput then understate what the system can do.`,
    recommendation: 'Spread the load: --workers N (worker threads) or --segment i/n on several machines, then `stackprobe merge`.',
    data: { seconds, peakCpu, peakDelay },
  };
}
