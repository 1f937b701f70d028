// The console summary fits a screen (verdict, failures in words, top advice, where the reports are); --verbose shows the
// recorded percentiles, statuses, reasons and numbered advice, and fits its width.
import { describe, expect, it } from 'vitest';
import { Trend } from '../../src/metrics/trend.js';
import type { TrendMetric } from '../../src/result/model.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { findingText, rankRecommendations, renderConsoleSummary, topRecommendations } from '../../src/report/console.js';
import { parseRunJson } from '../../src/report/json.js';
import { emptyRunResult, fullRunResult, interruptedRunResult } from '../fixtures/run-result.js';

const ESC = String.fromCharCode(27);
const ANSI_SGR = new RegExp(`${ESC}\\[\\d+m`, 'g');

describe('renderConsoleSummary', () => {
  const result = fullRunResult();
  const out = renderConsoleSummary(result, { color: false , verbose: true });

  it('is built on the percentiles actually recorded (1..1000 ms)', () => {
    const lookup = result.checks[1]!.metrics.find((m): m is TrendMetric => m.type === 'trend' && m.tags.query === 'point_lookup')!;
    expect(lookup.summary.count).toBe(1000);
    expect(lookup.summary.percentiles.p50).toBeCloseTo(500, 0);
    expect(Trend.decode(lookup.histogram).percentile(95)).toBeCloseTo(950, 0);
  });

  it('shows count and p50/p95/p99 per tagged duration metric', () => {
    // One row per operation: n, p50, p95, p99, then the error share of the matching `*_errors` rate.
    expect(out).toMatch(/query\s+n\s+p50\s+p95\s+p99\s+errors\s+req\/s\s+band\n\s+point_lookup\s+1,000\s+500 ms\s+950 ms\s+990 ms\s+0\.2%/);
    expect(out).toMatch(/\n\s+insert\s+250\s+0\.5 ms\s+4 ms\s+4 ms\n/);
    expect(out).toMatch(/operation\s+n\s+p50[^\n]*\n\s+connect\s+20\s+5 ms[^\n]*\n\s+acquire\s+2,000\s+0\.25 ms/);
    expect(out).toMatch(/pool_total\s+10 connections/);
  });

  it('groups checks by category with status badges, reasons and unmet thresholds', () => {
    expect(out).toMatch(/Connection pooling \(pool\)\n\s+PASS\s+pool\.connect\s+Cold connect vs warm pool acquire\s+1\.2 s/);
    expect(out).toMatch(/FAIL\s+queries\.basic\s+Basic financial queries\s+2\.1 s/);
    expect(out).toMatch(/WARN\s+integrity\.fk/);
    expect(out).toMatch(/FAIL\s+backup\.restore[^\n]*\n\s+reason: pg_restore: error: could not execute query: permission denied/);
    expect(out).toMatch(/SKIP\s+cache\.basic\s+Redis GET\/SET latency\n\s+reason: REDIS_URL not set/);
    expect(out).toContain('✗ query_duration{query:point_lookup} p(95)<100 → measured 950 ms, limit 100 ms');
    expect(out).toContain('✗ orphan_rows count==0 → measured 3, limit 0 (warning)');
    expect(out.indexOf('Connection pooling')).toBeLessThan(out.indexOf('Query performance'));
    expect(out.indexOf('Query performance')).toBeLessThan(out.indexOf('Data integrity'));
  });

  it('has a header with the private PostgreSQL note and the services not tested', () => {
    expect(out.split('\n')[0]).toBe('stackprobe 0.1.0 · quick run · 12.3 s · started 2025-03-01T10:00:00.000Z');
    expect(out).toContain('private embedded PostgreSQL');
    expect(out).toMatch(/redis\s+not tested: REDIS_URL not set/);
    expect(out).toMatch(/celery\s+not tested: CELERY_BROKER_URL not set/);
    expect(out).not.toContain('INTERRUPTED');
  });

  it('ends with totals and numbered recommendations', () => {
    expect(out).toContain('checks         6 total · 1 passed · 2 failed · 1 warning · 2 skipped');
    expect(out).toContain('success rate   50.0% (2 of 4 checks that ran passed or warned)');
    // 20 connects + 2,000 acquires + 1,250 queries; the pg_dump time is a duration, not an operation, so it is not counted.
    expect(out).toMatch(/response time {2}p50 [\d.]+ ms · p95 [\d.,]+ ms · p99 [\d.,]+ ms \(3,270 operations, all checks\)/);
    expect(out).toContain('client         CPU 20.3% (user 2.1 s, system 400 ms) · max memory 143 MB');
    const numbered = out.split('Recommendations\n')[1]!.match(/^\s+\d+\. /gm)!;
    expect(numbered.map((n) => n.trim())).toEqual(result.recommendations.map((_, i) => `${i + 1}.`));
    // The index advice is about the query whose p95 threshold failed, so it is lifted to error and comes first,
    // and the failed threshold itself gets no second line.
    expect(out).toMatch(/1\. \[error\] queries\.basic: Create an index on transactions\(account_id\)\./);
    expect(out).not.toMatch(/\d\. \[error\] queries\.basic: query_duration\{query:point_lookup\} missed/);
    // A missed threshold without advice of its own is not restated as a recommendation: its FAIL/WARN line says it all.
    expect(out).not.toMatch(/\d\. \[warn\] integrity\.fk: orphan_rows missed/);
  });

  it('has no escape codes without color and colored badges with it', () => {
    expect(out).not.toContain(ESC);
    const colored = renderConsoleSummary(result, { color: true , verbose: true });
    expect(colored).toContain('\u001b[32mPASS');
    expect(colored).toContain('\u001b[31mFAIL');
    expect(colored.replace(ANSI_SGR, '')).toBe(out);
  });

  it('fits in 100 columns, or the width asked for', () => {
    for (const line of out.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    const narrow = renderConsoleSummary(result, { color: false, width: 72 , verbose: true });
    for (const line of narrow.split('\n')) expect(line.length).toBeLessThanOrEqual(72);
    expect(narrow).toMatch(/point_lookup\s+1,000\s+500 ms\s+950 ms/);
    const wide = renderConsoleSummary(result, { color: false, width: 240 , verbose: true });
    for (const line of wide.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
  });

  it('marks an interrupted run and a run-level threshold that was missed', () => {
    const text = renderConsoleSummary(interruptedRunResult(), { color: false , verbose: true });
    expect(text).toContain('INTERRUPTED');
    expect(text).toMatch(/SKIP\s+integrity\.fk[^\n]*\n\s+reason: interrupted before it started/);
    expect(text).toContain('✗ process_max_rss_mb value<1024 → measured 1,500 MB, limit 1,024 MB');
    expect(text).toMatch(/1\. \[warn\] run: stackprobe itself used 1500 MB/);
  });

  it('renders a run with no checks', () => {
    const text = renderConsoleSummary(emptyRunResult(), { color: false , verbose: true });
    expect(text).toContain('No checks ran.');
    expect(text).toContain('checks         0 total');
    expect(text).toContain('success rate   100%');
    expect(text).toContain('response time  no operations were timed');
    expect(text).toContain('Recommendations: none');
  });
});

describe('the one-screen summary (without --verbose)', () => {
  const real = parseRunJson(gunzipSync(readFileSync(path.join(import.meta.dirname, '../fixtures/runs/quick-run.json.gz'))).toString('utf8'), 'quick-run.json');
  const reports = { dir: path.join(process.cwd(), 'results', '2026-11-30T05-18-49.000Z-abc123'), files: ['run.json', 'report.md'].map((f) => path.join(process.cwd(), 'results', '2026-11-30T05-18-49.000Z-abc123', f)) };

  it('fits a screen for a real 35-check run: verdict, targets, failures with findings, latency per category, advice, reports', () => {
    const out = renderConsoleSummary(real, { color: false, width: 80, height: 40, reports });
    const lines = out.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(39);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[1]).toBe('PASS with warnings · 35 checks: 19 passed, 4 warned, 0 failed, 12 skipped');
    expect(out).toMatch(/\n {2}pg {6}postgres:\/\/postgres@127\.0\.0\.1:5432\/test · PostgreSQL 15/);
    // Each warning names its threshold, the measured value and the limit, then its finding in words.
    expect(out).toMatch(/WARN {2}backup\.archiving {2}wal_archiving_enabled value==1 → measured 0, limit 1 ·\s+WAL archiving is off/);
    expect(out).toMatch(/Latency p95 {2}pool [\d.]+ ms · queries [\d.]+ ms · cache [\d.]+ ms · load [\d.]+ ms/);
    expect(out).toContain('Reports  results/2026-11-30T05-18-49.000Z-abc123/ (run.json, report.md)');
    // Whose figures, and what the run wrote where.
    expect(out).toMatch(/Figures {2}queries\.basic measured stackprobe's synthetic workload, not your\s+tables/);
    expect(out.replace(/\s+/g, ' ')).toMatch(/Wrote schema stackprobe in database test \(158,495 rows\), scratch database stackprobe_restore_[0-9a-f]+, 4,000 Redis keys: all removed/);
  });

  it('fits 80×24 with the verdict on it: the thresholds first, then latency, then the findings and advice with room', () => {
    const out = renderConsoleSummary(real, { color: false, width: 80, height: 24, reports });
    const lines = out.trimEnd().split('\n');
    expect(lines.length).toBeLessThanOrEqual(23);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    expect(lines[1]).toMatch(/^PASS with warnings · /);
    for (const id of ['integrity.score', 'backup.archiving', 'cache.server', 'health.server']) expect(out).toMatch(new RegExp(`WARN {2}${id.replace('.', '\\.')} +\\S+ \\S+ → measured [^,]+,\\s+limit `));
    expect(out).toContain('Latency p95');
    expect(out).toMatch(/all 11 recommendations: --verbose, or report\.md\.\n$/);
    expect(out).not.toContain('…');
    expect(out).not.toMatch(/pool\.server[^\n]*idle_in_transaction_sessions/);
  });

  it('lists at most five recommendations, none repeating a missed threshold, each text once', () => {
    const r = structuredClone(real);
    r.recommendations.unshift({ checkId: 'cache.server', severity: 'warn', text: r.recommendations.find((x) => x.checkId === 'cache.server')!.text });
    const top = topRecommendations(r);
    expect(top.length).toBeLessThanOrEqual(5);
    expect(top.some((x) => / missed /.test(x.text))).toBe(false);
    expect(new Set(top.map((x) => x.text)).size).toBe(top.length);
    const out = renderConsoleSummary(r, { color: false, width: 80, height: 60 });
    expect(out.match(/^\s+\d\. /gm)!.length).toBe(top.length);
    expect(out).not.toContain('integrity_score_gaps missed');
  });

  it('says a failure in words: the reason, else the threshold (measured, limit) with the finding beside it', () => {
    const { checks } = fullRunResult();
    const basic = checks.find((c) => c.id === 'queries.basic')!;
    expect(findingText(basic)).toBe('query_duration{query:point_lookup} p(95)<100 → measured 950 ms, limit 100 ms · Sequential scan on transactions (point_lookup)');
    expect(findingText(checks.find((c) => c.id === 'backup.restore')!)).toMatch(/^pg_restore: error/);
    const noFinding = { ...basic, findings: [] };
    expect(findingText(noFinding)).toBe('query_duration{query:point_lookup} p(95)<100 → measured 950 ms, limit 100 ms');
  });

  it('says once, on one line, which target could not be opened and why; FAIL; credentials never shown', () => {
    const r = structuredClone(real);
    const why = 'cannot log in to PostgreSQL at postgres://app:***@db:5432/app: password authentication failed for user "app"';
    r.environment.unopened = { pg: why };
    r.environment.unavailable = { pg: why, redis: 'not opened: PostgreSQL could not be opened first' };
    r.environment.targets = {};
    r.checks = r.checks.map((c) => ({ ...c, status: 'skip' as const, reason: 'not run: PostgreSQL could not be opened (the reason is at the top of the report)', metrics: [], findings: [], thresholds: [] }));
    r.recommendations = [];
    const out = renderConsoleSummary(r, { color: false, width: 100 });
    expect(out.split('password authentication failed')).toHaveLength(2);
    expect(out).toMatch(/\nFAIL · 35 checks: [^\n]*\n✗ pg: cannot log in to PostgreSQL/);
    expect(out.trimEnd().split('\n').length).toBeLessThanOrEqual(8);
  });

  it('shows names and reasons from a hostile server as text', () => {
    const r = structuredClone(real);
    r.checks[0]!.status = 'fail';
    r.checks[0]!.reason = `evil${String.fromCharCode(27)}[2J${String.fromCharCode(27)}]0;owned\u0007 reason`;
    const out = renderConsoleSummary(r, { color: true, width: 80 });
    expect(out.replace(ANSI_SGR, '')).not.toContain(ESC);
    expect(out).toContain('evil reason');
  });
});

describe('advice about the user\'s system before advice about stackprobe\'s own servers', () => {
  it('ranks recommendations about a private server last, whatever their severity, and names the server on each', () => {
    const r = fullRunResult();
    r.environment.targets.redis = { kind: 'redis', url: 'redis://cache.internal:6379/0', private: false };
    r.recommendations = [
      { checkId: 'integrity.corruption', severity: 'error', text: 'Enable them with pg_checksums --enable.', target: 'pg', about: 'data_checksums' },
      { checkId: 'cache.server', severity: 'info', text: 'Set maxmemory.', target: 'redis' },
    ];
    expect(r.environment.targets.pg!.private).toBe(true);
    expect(rankRecommendations(r).map((x) => x.checkId)).toEqual(['cache.server', 'integrity.corruption']);
    const out = renderConsoleSummary(r, { color: false, width: 100, height: 60 }).replace(/\s+/g, ' ');
    expect(out).toMatch(/1\. cache\.server \(redis cache\.internal:6379\): Set maxmemory\./);
    expect(out).toMatch(/2\. integrity\.corruption \(stackprobe's private PostgreSQL server\): data_checksums: Enable them with pg_checksums/);
  });
});
