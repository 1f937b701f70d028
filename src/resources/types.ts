// What a resource source gives once a second: readings of declared metrics (rates already per second).
import type { GaugeDecl } from '../metrics/declare.js';

export interface Reading {
  /** Its declaration (src/resources/metrics.ts): name, meaning and unit. */
  metric: GaugeDecl;
  value: number;
}

export interface ResourceSource {
  /** Names the source in logs and in `resource_sample_errors{source:…}`. */
  readonly name: string;
  /** One reading per metric; counters become per-second rates from the previous call (the first call may return fewer). */
  sample(): Promise<Reading[]> | Reading[];
  close?(): void;
}
