// The run's key figures in the Prometheus text exposition format (for node_exporter's textfile collector or a Pushgateway).
// Latencies are summaries in seconds (quantiles from the HDR histograms), rates ratios, counters totals; every sample
// carries `check` and `category` labels plus the metric's own tags.
import type { CheckResult, CheckStatus, RunResult, SerializedMetric } from '../result/model.js';

type PromType = 'gauge' | 'counter' | 'summary';

interface Family {
  type: PromType;
  help: string;
  samples: string[];
}

const PREFIX = 'stackprobe_';
const STATUSES: CheckStatus[] = ['pass', 'warn', 'fail', 'skip'];
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
    // The same name with another type (a gauge `x` and a summary `x`) would be an invalid exposition: keep them apart.
    if (existing && existing.type !== type) full = `${name}_${type}`;
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
    const n = { pass: s.passed, warn: s.warned, fail: s.failed, skip: s.skipped }[st];
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
  const name = `${PREFIX}${sanitizeName(m.name)}`;
  switch (m.type) {
    case 'trend': {
      if (m.summary.count === 0) return;
      // Milliseconds become seconds, Prometheus's base unit; other units are kept as recorded.
      const ms = m.unit === 'ms';
      const scale = ms ? 1 / 1000 : 1;
      const fam = ms ? `${name}_seconds` : name;
      const help = `${m.name} (HDR histogram quantiles${ms ? ', seconds' : `, ${m.unit || 'value'}`})`;
      for (const [k, v] of Object.entries(m.summary.percentiles)) e.add(fam, 'summary', help, { ...l, quantile: quantile(k) }, v * scale);
      e.add(fam, 'summary', help, l, m.summary.mean * m.summary.count * scale, '_sum');
      e.add(fam, 'summary', help, l, m.summary.count, '_count');
      return;
    }
    case 'rate':
      e.add(`${name}_ratio`, 'gauge', `${m.name} (share of ${m.total} observations)`, l, m.value);
      return;
    case 'counter':
      e.add(`${name}_total`, 'counter', `${m.name}${m.unit ? ` (${m.unit})` : ''}`, l, m.count);
      return;
    case 'gauge':
      e.add(name, 'gauge', `${m.name}${m.unit ? ` (${m.unit})` : ''}`, l, m.value);
  }
}
