// Reads a throughput/latency curve: where throughput stops growing (the knee) and where p99 starts climbing.
import type { Finding } from '../../result/model.js';

export interface CurvePoint {
  level: number;
  throughput: number;
  p50: number;
  p99: number;
  errors: number;
  /** GET p50 and the PING p50 beside it (the client's and the network's share), when both were measured. */
  share?: Record<string, number>;
}

/** Throughput growing less than this from one level to the next counts as flat. */
const FLAT_GROWTH = 1.1;
/** p99 more than this many times the lowest level's counts as climbing. */
const P99_CLIMB = 2;

/** The first level after which more in flight no longer buys throughput (below FLAT_GROWTH); undefined if it always grows. */
export function saturationLevel(curve: CurvePoint[]): CurvePoint | undefined {
  for (let i = 1; i < curve.length; i++) {
    if (curve[i]!.throughput < curve[i - 1]!.throughput * FLAT_GROWTH) return curve[i - 1];
  }
  return undefined;
}

/** The first level whose p99 is more than P99_CLIMB times the lowest level's. */
export function p99ClimbLevel(curve: CurvePoint[]): CurvePoint | undefined {
  const base = curve[0];
  return base ? curve.slice(1).find((p) => p.p99 > base.p99 * P99_CLIMB) : undefined;
}

export function curveFindings(curve: CurvePoint[]): Finding[] {
  const findings: Finding[] = [];
  const knee = saturationLevel(curve);
  const climb = p99ClimbLevel(curve);
  const fmt = (v: number) => v.toFixed(2);
  if (knee) {
    findings.push({
      severity: 'info', subject: `concurrency ${knee.level}`,
      title: `throughput stops growing at ${knee.level} in flight (${Math.round(knee.throughput)} ops/s)`,
      detail: `Past ${knee.level} operations in flight, more concurrency adds queueing, not throughput${climb ? `; p99 climbs from ${fmt(curve[0]!.p99)} ms at ${curve[0]!.level} to ${fmt(climb.p99)} ms at ${climb.level}` : ''}.`,
      recommendation: `Size the application's Redis concurrency (connections × pipelining) near ${knee.level} in flight; beyond it only latency grows.`,
      data: { level: knee.level, throughput: knee.throughput },
    });
  } else if (climb) {
    findings.push({
      severity: 'info', subject: `concurrency ${climb.level}`,
      title: `p99 climbs to ${fmt(climb.p99)} ms at ${climb.level} in flight while throughput still grows`,
      data: { level: climb.level, p99: climb.p99 },
    });
  }
  return findings;
}
