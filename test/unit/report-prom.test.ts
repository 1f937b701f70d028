// Prometheus text exposition: valid lines, one HELP/TYPE per family, seconds from ms, escaped labels; push to a real HTTP server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushToGateway, pushUrl, PushError } from '../../src/report/push.js';
import { escapeLabelValue, renderProm, sanitizeName } from '../../src/report/prom.js';
import { emptyRunResult, fullRunResult } from '../fixtures/run-result.js';

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

describe('pushToGateway', () => {
  const received: Array<{ method: string; url: string; type: string; body: string }> = [];
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, type: req.headers['content-type'] ?? '', body });
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
  });
});
