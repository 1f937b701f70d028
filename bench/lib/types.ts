// The harness's result model: one row per figure line, and the JSON file written to bench/results/.

export interface Row {
  /** 1–7, the figure in bench/README.md. */
  figure: number;
  measure: string;
  value: number;
  /** '×' for ratios, 'µs', 'ops/s', 'ms', '%', 'MB', 's', … */
  unit: string;
  /** e.g. '≥ 0.8×'; met is undefined for figures without a target. */
  target?: string;
  met?: boolean;
  /** Short context printed next to the value: the raw figures behind a ratio. */
  note?: string;
  /** The command (or code path) that produced the figure. */
  command?: string;
  /** Per-round values and anything else worth keeping in the JSON. */
  detail?: Record<string, unknown>;
}

export interface BenchOptions {
  quick: boolean;
  /** Figures to run (1–7). */
  figures: number[];
  pgUrl: string;
  redisUrl: string;
  log: (line: string) => void;
}

export interface BenchResult {
  date: string;
  mode: 'quick' | 'full';
  host: { cpus: number; loadavg: { start: number[]; end: number[] }; node: string; platform: string };
  tools: Record<string, string>;
  rows: Row[];
  notes: string[];
}
