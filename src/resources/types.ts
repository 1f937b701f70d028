// What a resource source gives once a second: named readings with units (rates already per second).
export interface Reading {
  name: string;
  unit: string;
  value: number;
}

export interface ResourceSource {
  /** Names the source in logs and in `resource_sample_errors{source:…}`. */
  readonly name: string;
  /** One reading per metric; counters become per-second rates from the previous call (the first call may return fewer). */
  sample(): Promise<Reading[]> | Reading[];
  close?(): void;
}
