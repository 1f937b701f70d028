// Prometheus text exposition: valid lines, one HELP/TYPE per family, seconds from ms, escaped labels; push to a real HTTP server.
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushToGateway, pushUrl, PushError } from '../../src/report/push.js';
import { MetricRegistry } from '../../src/metrics/registry.js';
import { serializeMetrics } from '../../src/metrics/serialize.js';
import { escapeLabelValue, promNameAndScale, renderProm, sanitizeName } from '../../src/report/prom.js';
import type { RunResult } from '../../src/result/model.js';
import { emptyRunResult, fullRunResult } from '../fixtures/run-result.js';
import { decls } from '../helpers/decl.js';

const SAMPLE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/;

function families(text: string): Map<string, { type: string; samples: string[] }> {
  const out = new Map<string, { type: string; samples: string[] }>();
  let current = '';
  for (const line of text.trimEnd().split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      expect(out.has(type[1]!), `family ${type[1]} declared twice`).toBe(false);
      out.set(type[1]!, { type: type[2]!, samples: [] });
      current = type[1]!;
    } else if (!line.startsWith('# HELP ')) {
      expect(line).toMatch(SAMPLE);
      expect(line.startsWith(current), `${line} outside its family ${current}`).toBe(true);
      out.get(current)!.samples.push(line);
    }
  }
  return out;
}

describe('renderProm', () => {
  const text = renderProm(fullRunResult());
  const fams = families(text);

  it('writes valid exposition lines grouped in families', () => {
    expect(fams.get('stackprobe_checks')!.samples).toContain('stackprobe_checks{status="fail"} 2');
    expect(fams.get('stackprobe_check_status')!.samples).toContain('stackprobe_check_status{check="queries.basic",category="queries",status="fail"} 1');
    expect(fams.get('stackprobe_run_success_ratio')!.samples).toEqual(['stackprobe_run_success_ratio 0.5']);
    families(renderProm(emptyRunResult()));
  });

  it('exports trends as summaries in seconds with quantiles from the histograms', () => {
    const f = fams.get('stackprobe_query_duration_seconds')!;
    expect(f.type).toBe('summary');
    // 1..1000 ms recorded: the median is 0.5 s within the histogram's 3 significant digits.
    const median = f.samples.find((s) => s.startsWith('stackprobe_query_duration_seconds{check="queries.basic",category="queries",query="point_lookup",quantile="0.5"} '))!;
    expect(Number(median.split(' ')[1])).toBeCloseTo(0.5, 2);
    expect(f.samples.some((s) => s.includes('quantile="0.999"'))).toBe(true);
    expect(f.samples).toContain('stackprobe_query_duration_seconds_count{check="queries.basic",category="queries",query="insert"} 250');
    expect(fams.get('stackprobe_queries_total')!.samples).toEqual(['stackprobe_queries_total{check="queries.basic",category="queries"} 1250']);
    expect(fams.get('stackprobe_query_errors_ratio')!.samples[0]).toMatch(/ 0\.002$/);
  });

  it('escapes label values and sanitises names', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(sanitizeName('cache.hit-rate')).toBe('cache_hit_rate');
    expect(sanitizeName('9lives')).toBe('_9lives');
    const r = fullRunResult();
    r.checks[0]!.metrics[0]!.tags = { quantile: 'x"y', 'we.ird': 'v' };
    const out = renderProm(r);
    expect(out).toContain('tag_quantile="x\\"y",we_ird="v"');
    families(out);
  });
});

/** A run whose one extra check records every unit and kind stackprobe's checks use, including two kinds under one name. */
function unitsRun(): RunResult {
  const r = fullRunResult();
  const reg = new MetricRegistry();
  const D = decls({ op_duration: { meaning: 'latency' }, requests: { meaning: 'count', perSecond: true }, orphans: { meaning: 'defects' } });
  reg.trend(D.trend('op_duration'), { op: 'get' }).record(12.5);
  reg.trend(D.trend('size_hist', 'rows')).record(40);
  reg.gauge(D.gauge('pgbouncer_max_wait_ms', 'ms')).set(1500);
  reg.gauge(D.gauge('process_max_rss_mb', 'MB')).set(2);
  reg.gauge(D.gauge('host_cpu_percent', '%')).set(50);
  reg.gauge(D.gauge('dump_size', 'bytes')).set(4096);
  reg.gauge(D.gauge('hit_rate', 'ratio')).set(0.9);
  reg.gauge(D.gauge('sweep_throughput', 'req/s'), { size: '4' }).set(1234.5);
  reg.gauge(D.gauge('clash', 'ms')).set(1);
  reg.trend(D.trend('clash_seconds')).record(1);
  reg.counter(D.counter('requests')).add(10);
  reg.counter(D.counter('orphans', 'rows')).add(3);
  reg.counter(D.counter('sent_bytes', 'bytes')).add(2048);
  reg.rate(D.rate('query_errors')).add(false);
  r.checks.push({ id: 'x.units', category: 'x', title: 'units', status: 'pass', startedAt: r.startedAt, durationMs: 1000, metrics: serializeMetrics(reg, 1), timeSeries: [], thresholds: [], ratings: [], findings: [], info: {} });
  return r;
}

describe('base units', () => {
  it('names and scales ms, MB, % and bytes to seconds, bytes and ratios; leaves other units', () => {
    expect(promNameAndScale('stackprobe_pgbouncer_max_wait_ms', 'ms')).toEqual({ name: 'stackprobe_pgbouncer_max_wait_seconds', scale: 0.001 });
    expect(promNameAndScale('stackprobe_process_max_rss_mb', 'MB')).toEqual({ name: 'stackprobe_process_max_rss_bytes', scale: 1024 ** 2 });
    expect(promNameAndScale('stackprobe_host_cpu_percent', '%')).toEqual({ name: 'stackprobe_host_cpu_ratio', scale: 0.01 });
    // Rates over a window and hours: spelled out in base units, so `promtool check metrics` finds no abbreviation.
    expect(promNameAndScale('stackprobe_host_disk_read_mb_s', 'MB/s')).toEqual({ name: 'stackprobe_host_disk_read_bytes_per_second', scale: 1024 ** 2 });
    expect(promNameAndScale('stackprobe_pg_temp_mb_per_s', 'MB/s')).toEqual({ name: 'stackprobe_pg_temp_bytes_per_second', scale: 1024 ** 2 });
    expect(promNameAndScale('stackprobe_pg_commits_per_s', '/s')).toEqual({ name: 'stackprobe_pg_commits_per_second', scale: 1 });
    expect(promNameAndScale('stackprobe_latest_backup_age_h', 'h')).toEqual({ name: 'stackprobe_latest_backup_age_seconds', scale: 3600 });
    expect(promNameAndScale('stackprobe_replay_share_max_diff_pp', 'pp')).toEqual({ name: 'stackprobe_replay_share_max_diff_ratio', scale: 0.01 });
    expect(promNameAndScale('stackprobe_sweep_throughput', 'req/s')).toEqual({ name: 'stackprobe_sweep_throughput_per_second', scale: 1 });
    const fams = families(renderProm(unitsRun()));
    const one = (name: string) => fams.get(name)!.samples.find((x) => x.includes('check="x.units"'))!;
    expect(one('stackprobe_pgbouncer_max_wait_seconds')).toMatch(/ 1\.5$/);
    expect(one('stackprobe_process_max_rss_bytes')).toMatch(/ 2097152$/);
    expect(one('stackprobe_host_cpu_ratio')).toMatch(/ 0\.5$/);
    expect(one('stackprobe_dump_size_bytes')).toMatch(/ 4096$/);
    expect(one('stackprobe_sent_bytes_total')).toMatch(/ 2048$/);
    expect(one('stackprobe_orphans_total')).toMatch(/ 3$/);
    expect(fams.get('stackprobe_op_duration_seconds')!.type).toBe('summary');
    // Counters are totals; their per-second rate is PromQL's job, never a sample of its own.
    expect([...fams.keys()].some((k) => /(_rate|per_s|_per_second)_total$/.test(k))).toBe(false);
    expect(renderProm(unitsRun())).not.toMatch(/_(ms|mb|percent)[{ ]/);
  });

  const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  it.skipIf(promtool.error !== undefined)('passes `promtool check metrics` (Debian package prometheus)', () => {
    for (const run of [fullRunResult(), unitsRun(), emptyRunResult()]) {
      const res = spawnSync('promtool', ['check', 'metrics'], { input: renderProm(run), encoding: 'utf8' });
      expect(`${res.stdout}${res.stderr}`).toBe('');
      expect(res.status).toBe(0);
    }
  });
});

describe('pushToGateway', () => {
  const received: Array<{ method: string; url: string; type: string; body: string; auth?: string }> = [];
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, type: req.headers['content-type'] ?? '', body, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
        res.writeHead(req.url!.includes('reject') ? 400 : 200).end(req.url!.includes('reject') ? 'text format parsing error' : '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('PUTs the exposition to /metrics/job/<job>', async () => {
    const body = renderProm(fullRunResult());
    await pushToGateway(base, 'stackprobe', body);
    expect(received.at(-1)).toEqual({ method: 'PUT', url: '/metrics/job/stackprobe', type: 'text/plain; version=0.0.4', body });
    expect(pushUrl('http://gw:9091/', 'nightly')).toBe('http://gw:9091/metrics/job/nightly');
    expect(pushUrl('http://gw:9091/metrics/job/x/instance/y', 'nightly')).toBe('http://gw:9091/metrics/job/x/instance/y');
  });

  it('turns a refusal or an unreachable gateway into a PushError without credentials', async () => {
    await expect(pushToGateway(`${base}/reject`, 'j', 'x')).rejects.toThrow(/answered 400: text format parsing error/);
    const dead = pushToGateway('http://user:hunter2@127.0.0.1:1', 'j', 'x', { timeoutMs: 3000 });
    await expect(dead).rejects.toBeInstanceOf(PushError);
    await expect(dead).rejects.not.toThrow(/hunter2/);
    // The network's reason, not "TypeError" (fetch refuses a URL with credentials before it connects): port 1 is one
    // fetch will not use; a port nothing listens on refuses the connection.
    await expect(dead).rejects.toThrow(/^cannot push to the Pushgateway at http:\/\/user:\*\*\*@127\.0\.0\.1:1\/metrics\/job\/j: bad port$/);
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(pushToGateway(`http://user:hunter2@127.0.0.1:${port}`, 'j', 'x')).rejects.toThrow(new RegExp(`^cannot push to the Pushgateway at http://user:\\*\\*\\*@127\\.0\\.0\\.1:${port}/metrics/job/j: ECONNREFUSED$`));
  });

  it('sends a URL\'s user and password as basic auth, the URL without them', async () => {
    await pushToGateway(`http://ci%40corp:p%3Ass@${base.slice('http://'.length)}`, 'nightly', 'x 1\n');
    expect(received.at(-1)).toMatchObject({ method: 'PUT', url: '/metrics/job/nightly', auth: `Basic ${Buffer.from('ci@corp:p:ss').toString('base64')}` });
    await pushToGateway(base, 'plain', 'x 1\n');
    expect(received.at(-1)!.auth).toBeUndefined();
  });
});
