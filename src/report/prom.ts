// The run's key figures in the Prometheus text exposition format (for node_exporter's textfile collector or a Pushgateway).
// Base units only: times in seconds, sizes in bytes, shares as ratios, counters as `_total`. Latencies are summaries
// (quantiles from the HDR histograms). Every sample carries `check` and `category` labels plus the metric's own tags.
// The output passes `promtool check metrics` (test/unit/report-prom.test.ts runs it when promtool is installed).
import { baseName, baseUnit, unitOfLabel, withoutTotal } from '../metrics/unit.js';
import type { CheckResult, CheckStatus, RunResult, SerializedMetric } from '../result/model.js';

type PromType = 'gauge' | 'counter' | 'summary';

interface Family {
  type: PromType;
  help: string;
  samples: string[];
}

const PREFIX = 'stackprobe_';
const STATUSES: CheckStatus[] = ['pass', 'warn', 'fail', 'untrusted', 'skip'];
/** Labels stackprobe sets itself; a metric tag with one of these names is exported as `tag_<name>`. */
const RESERVED = new Set(['check', 'category', 'quantile', 'le', 'job', 'instance', 'status', 'mode']);

export function sanitizeName(s: string): string {
  const out = s.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[0-9]/.test(out) ? `_${out}` : out;
}

export function escapeLabelValue(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string>): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/**
 * A metric's Prometheus name and the factor to its base unit, from its unit alone (src/metrics/unit.ts is the one place
 * units convert): `pgbouncer_max_wait_ms` in ms -> `pgbouncer_max_wait_seconds`, value / 1000; `orphan_rows` unchanged.
 */
export function promNameAndScale(name: string, unitLabel: string): { name: string; scale: number } {
  const b = baseName(name, unitOfLabel(unitLabel));
  return { name: b.name, scale: b.factor };
}

function num(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? '+Inf' : '-Inf';
  // Twelve significant digits: 0.837119 rather than 0.8371190000000001 from the ms-to-s division.
  return String(Number(n.toPrecision(12)));
}

/** `p99.9` -> `0.999` */
function quantile(key: string): string {
  return String(Number((Number(key.slice(1)) / 100).toPrecision(6)));
}

class Exposition {
  readonly families = new Map<string, Family>();

  add(name: string, type: PromType, help: string, l: Record<string, string>, value: number, suffix = ''): void {
    let full = name;
    const existing = this.families.get(full);
    // The same name with another type (a gauge `x` and a summary `x`) would be an invalid exposition: keep them apart
    // (not with `_summary`/`_gauge`: promtool rejects a type in a name).
    if (existing && existing.type !== type) full = `${name}_${type === 'summary' ? 'dist' : type === 'counter' ? 'events' : 'level'}`;
    const fam = this.families.get(full) ?? { type, help, samples: [] };
    fam.samples.push(`${full}${suffix}${labels(l)} ${num(value)}`);
    this.families.set(full, fam);
  }

  render(): string {
    const out: string[] = [];
    for (const [name, f] of this.families) out.push(`# HELP ${name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${f.type}`, ...f.samples);
    return `${out.join('\n')}\n`;
  }
}

export function renderProm(result: RunResult): string {
  const e = new Exposition();
  const s = result.summary;
  e.add(`${PREFIX}run_info`, 'gauge', 'The run: mode, version, read-only', { mode: result.mode, version: result.environment.tool.version, read_only: String(result.readOnly), interrupted: String(result.interrupted) }, 1);
  e.add(`${PREFIX}run_duration_seconds`, 'gauge', 'Wall time of the run', {}, result.durationMs / 1000);
  e.add(`${PREFIX}run_timestamp_seconds`, 'gauge', 'When the run ended (Unix time)', {}, Date.parse(result.endedAt) / 1000);
  e.add(`${PREFIX}run_success_ratio`, 'gauge', 'Share of the checks that ran and passed or warned', {}, s.successRate);
  for (const st of STATUSES) {
    const n = { pass: s.passed, warn: s.warned, fail: s.failed, untrusted: s.untrusted ?? 0, skip: s.skipped }[st];
    e.add(`${PREFIX}checks`, 'gauge', 'Checks by status', { status: st }, n);
  }
  if (s.responseTime && s.responseTime.count > 0) {
    for (const [k, v] of Object.entries(s.responseTime.percentiles)) e.add(`${PREFIX}response_time_seconds`, 'summary', 'All timed operations of the run', { quantile: quantile(k) }, v / 1000);
    e.add(`${PREFIX}response_time_seconds`, 'summary', '', {}, (s.responseTime.mean * s.responseTime.count) / 1000, '_sum');
    e.add(`${PREFIX}response_time_seconds`, 'summary', '', {}, s.responseTime.count, '_count');
  }
  for (const c of result.checks) checkFamilies(e, c);
  return e.render();
}

function checkFamilies(e: Exposition, c: CheckResult): void {
  const base = { check: c.id, category: c.category };
  for (const st of STATUSES) e.add(`${PREFIX}check_status`, 'gauge', 'The check\'s status (1 for the current one)', { ...base, status: st }, c.status === st ? 1 : 0);
  if (c.durationMs > 0) e.add(`${PREFIX}check_duration_seconds`, 'gauge', 'How long the check ran', base, c.durationMs / 1000);
  for (const m of c.metrics) metricSamples(e, base, m);
}

function metricSamples(e: Exposition, base: Record<string, string>, m: SerializedMetric): void {
  const l: Record<string, string> = { ...base };
  for (const [k, v] of Object.entries(m.tags)) {
    const key = sanitizeName(k);
    l[RESERVED.has(key) ? `tag_${key}` : key] = v;
  }
  const raw = `${PREFIX}${sanitizeName(m.name)}`;
  const what = `${m.name}${m.meaning ? `, ${m.meaning}` : ''}`;
  switch (m.type) {
    case 'trend': {
      if (m.summary.count === 0) return;
      const { name, scale } = promNameAndScale(raw, m.unit);
      const help = `${what} (HDR histogram quantiles, ${baseUnit(unitOfLabel(m.unit)).suffix === 'seconds' ? 'seconds' : m.unit || 'value'})`;
      for (const [k, v] of Object.entries(m.summary.percentiles)) e.add(name, 'summary', help, { ...l, quantile: quantile(k) }, v * scale);
      e.add(name, 'summary', help, l, m.summary.mean * m.summary.count * scale, '_sum');
      e.add(name, 'summary', help, l, m.summary.count, '_count');
      return;
    }
    case 'rate':
      e.add(promNameAndScale(raw, 'ratio').name, 'gauge', `${what} (share of ${m.total} observations)`, l, m.value);
      return;
    case 'counter': {
      // A count of events or things found in this run; its per-second rate is PromQL's to compute, never exported.
      const { name, scale } = promNameAndScale(withoutTotal(raw), m.unit);
      e.add(`${name}_total`, 'counter', `${what}${m.unit ? ` (${m.unit})` : ''}`, l, m.count * scale);
      return;
    }
    case 'gauge': {
      const { name, scale } = promNameAndScale(withoutTotal(raw), m.unit);
      e.add(name, 'gauge', `${what}${m.unit ? ` (${m.unit} recorded)` : ''}`, l, m.value * scale);
    }
  }
}
