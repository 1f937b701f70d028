// The closed set of units a metric is declared in: how each is shown, how it reads back from run.json, and its one
// conversion to a Prometheus base unit (seconds, bytes, ratio). Every converter of units goes through this module.

/**
 * A unit. Scaled kinds (time, bytes, ratio) name the scale values are recorded in; `count` and `per_second` carry the
 * noun their display string is made of (`connections`, `tasks/s`); `number` is a plain figure (a load average, a factor).
 */
export type Unit =
  | { readonly kind: 'time'; readonly scale: 'ms' | 's' | 'h' }
  | { readonly kind: 'bytes'; readonly scale: 'bytes' | 'MB' | 'GB' }
  | { readonly kind: 'bytes_per_second'; readonly scale: 'MB/s' }
  | { readonly kind: 'ratio'; readonly scale: 'ratio' | '%' | 'pp' }
  | { readonly kind: 'count'; readonly noun?: string }
  | { readonly kind: 'per_second'; readonly noun?: string }
  | { readonly kind: 'number' };

/** The units to declare with: `unit.ms`, `unit.count('rows')`, `unit.perSecond('tasks')` (shown `tasks/s`). */
export const unit = {
  ms: { kind: 'time', scale: 'ms' },
  seconds: { kind: 'time', scale: 's' },
  hours: { kind: 'time', scale: 'h' },
  bytes: { kind: 'bytes', scale: 'bytes' },
  // stackprobe's MB and GB are binary (see src/resources/host.ts).
  megabytes: { kind: 'bytes', scale: 'MB' },
  gigabytes: { kind: 'bytes', scale: 'GB' },
  megabytesPerSecond: { kind: 'bytes_per_second', scale: 'MB/s' },
  ratio: { kind: 'ratio', scale: 'ratio' },
  percent: { kind: 'ratio', scale: '%' },
  /** Percentage points: a difference of two shares. */
  points: { kind: 'ratio', scale: 'pp' },
  number: { kind: 'number' },
  /** Things counted; without a noun shown as `count`. */
  count: (noun?: string): Unit => (noun === undefined ? { kind: 'count' } : { kind: 'count', noun }),
  /** Things per second, shown `<noun>/s` (`/s` without a noun). */
  perSecond: (noun?: string): Unit => (noun === undefined ? { kind: 'per_second' } : { kind: 'per_second', noun }),
} as const satisfies Record<string, Unit | ((noun?: string) => Unit)>;

/** How a unit is written beside a figure and in run.json: `ms`, `MB`, `ratio`, `connections`, `tasks/s`. */
export function unitLabel(u: Unit): string {
  switch (u.kind) {
    case 'time': case 'bytes': case 'bytes_per_second': case 'ratio': return u.scale;
    case 'count': return u.noun ?? 'count';
    case 'per_second': return `${u.noun ?? ''}/s`;
    case 'number': return '';
  }
}

const SCALED: Record<string, Unit> = {
  ms: unit.ms, s: unit.seconds, h: unit.hours,
  bytes: unit.bytes, B: unit.bytes, MB: unit.megabytes, GB: unit.gigabytes, 'MB/s': unit.megabytesPerSecond,
  ratio: unit.ratio, '%': unit.percent, pp: unit.points,
};

/** The unit a run.json label stands for (the inverse of `unitLabel`; any other word is a count of that noun). */
export function unitOfLabel(label: string): Unit {
  const scaled = SCALED[label];
  if (scaled) return scaled;
  if (label === '') return unit.number;
  if (label === 'count') return unit.count();
  if (label.endsWith('/s')) return unit.perSecond(label === '/s' ? undefined : label.slice(0, -2));
  return unit.count(label);
}

/** A unit's Prometheus base unit: the name suffix (empty for counts and plain numbers) and the factor to it. */
export function baseUnit(u: Unit): { suffix: string; factor: number } {
  switch (u.kind) {
    case 'time': return { suffix: 'seconds', factor: { ms: 1 / 1000, s: 1, h: 3600 }[u.scale] };
    case 'bytes': return { suffix: 'bytes', factor: { bytes: 1, MB: 1024 ** 2, GB: 1024 ** 3 }[u.scale] };
    case 'bytes_per_second': return { suffix: 'bytes_per_second', factor: 1024 ** 2 };
    case 'ratio': return { suffix: 'ratio', factor: { ratio: 1, '%': 1 / 100, pp: 1 / 100 }[u.scale] };
    case 'per_second': return { suffix: 'per_second', factor: 1 };
    case 'count': case 'number': return { suffix: '', factor: 1 };
  }
}

/**
 * How a metric name may spell its own unit at its end (`pgbouncer_max_wait_ms` in ms, `restore_throughput_mb_s` in
 * MB/s). The Prometheus name replaces that spelling with the base unit's, so the rule follows from the declared unit
 * and no list of names is needed; a name spelling another unit than its own keeps it (and the name test flags it).
 */
export function unitSpellings(u: Unit): string[] {
  switch (u.kind) {
    case 'time': return { ms: ['ms'], s: ['s', 'seconds'], h: ['h'] }[u.scale];
    case 'bytes': return { bytes: ['bytes'], MB: ['mb'], GB: ['gb'] }[u.scale];
    case 'bytes_per_second': return ['mb_s', 'mb_per_s'];
    case 'ratio': return { ratio: ['ratio'], '%': ['percent', 'pct'], pp: ['pp'] }[u.scale];
    case 'per_second': return ['per_s', 'per_second'];
    case 'count': case 'number': return [];
  }
}

/** Prometheus's counter suffix: the exposition writes it once, so a name that already ends with it is exposed without. */
export function withoutTotal(name: string): string {
  return name.endsWith('_total') ? name.slice(0, -'_total'.length) : name;
}

/** `pgbouncer_max_wait_ms` in ms -> `pgbouncer_max_wait_seconds`, values × 0.001; `orphan_rows` in rows -> unchanged. */
export function baseName(name: string, u: Unit): { name: string; factor: number } {
  const { suffix, factor } = baseUnit(u);
  const spelled = unitSpellings(u).find((s) => name.endsWith(`_${s}`));
  const stem = spelled ? name.slice(0, -(spelled.length + 1)) : name;
  return { name: suffix ? `${stem}_${suffix}` : stem, factor };
}
