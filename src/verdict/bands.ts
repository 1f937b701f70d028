// Rating bands (excellent/good/acceptable/poor) for response time, throughput and hit rate, the defaults documented in docs/thresholds.md.
import type { Band } from '../result/model.js';

export interface BandLimits {
  /** [excellent, good, acceptable] edges. */
  response_time_ms: [number, number, number];
  throughput_rps: [number, number, number];
  hit_rate: [number, number, number];
}

export const DEFAULT_BANDS: BandLimits = {
  response_time_ms: [50, 100, 200],
  throughput_rps: [1000, 500, 100],
  hit_rate: [0.9, 0.8, 0.7],
};

const BANDS: Band[] = ['excellent', 'good', 'acceptable', 'poor'];

/** Lower is better for response time; higher is better for throughput and hit rate. */
export function rate(kind: keyof BandLimits, value: number, limits: BandLimits = DEFAULT_BANDS): Band {
  const edges = limits[kind];
  const lowerIsBetter = kind === 'response_time_ms';
  for (let i = 0; i < edges.length; i++) {
    const edge = edges[i]!;
    if (lowerIsBetter ? value <= edge : value >= edge) return BANDS[i]!;
  }
  return 'poor';
}
