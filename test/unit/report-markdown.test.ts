// The Markdown report carries the recorded percentiles, verdicts, findings, ratings, environment and advice, with safe tables.
import { describe, expect, it } from 'vitest';
import { rankRecommendations } from '../../src/report/provenance.js';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { renderConsoleSummary } from '../../src/report/console.js';
import { MARKDOWN_LIMIT, renderMarkdown, renderMarkdownDetails } from '../../src/report/markdown.js';
import { parseRunJson } from '../../src/report/json.js';
import { emptyRunResult, fullRunResult, interruptedRunResult, RECORDED } from '../fixtures/run-result.js';

/** Cells of a table row, splitting on pipes that are not escaped. */
function cells(row: string): string[] {
  return row.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/).map((c) => c.trim());
}

/** Every table in the document as rows of cells. */
function tables(md: string): string[][][] {
  const out: string[][][] = [];
  let current: string[][] | undefined;
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      if (!current) out.push((current = []));
      current.push(cells(line));
    } else {
      current = undefined;
    }
  }
  return out;
}

describe('renderMarkdown', () => {
  const result = fullRunResult();
  // Both files together hold what one report.md held before it was split.
  const md = renderMarkdown(result) + renderMarkdownDetails(result);

  it('tabulates p50/p90/p95/p99/p99.9/max of each trend from the recorded values', () => {
    expect(md).toContain('| Metric | Count | p50 | p90 | p95 | p99 | p99.9 | max |');
    expect(md).toContain('| `query_duration{query:point_lookup}` | 1,000 | 500 ms | 900 ms | 950 ms | 990 ms | 999 ms | 1,000 ms |');
    expect(md).toContain(`| \`query_duration{query:insert}\` | 250 | ${RECORDED.insert.fastMs} ms | 4 ms | 4 ms | 4 ms | 4 ms | 4 ms |`);
    expect(md).toContain('| `query_errors{query:point_lookup}` | rate | 0.2% | 2 of 1,000 |');
  });

  it('has a summary, the checks with statuses and reasons, and per-category sections', () => {
    expect(md.startsWith('# stackprobe report\n')).toBe(true);
    expect(md).toContain('| **Checks** | 6 total: 1 passed, 1 warning, 2 failed, 2 skipped |');
    expect(md).toContain('| **Success rate** | 50.0% (2 of 4 checks that ran passed or warned) |');
    expect(md).toContain('| `cache.basic` | Redis GET/SET latency | ⏭️ SKIP |  | REDIS_URL not set |');
    expect(md).toContain('| `queries.basic` | Basic financial queries | ❌ FAIL | 2.1 s | query_duration{query:point_lookup} p(95)<100 → measured 950 ms, limit 100 ms |');
    expect(md).toContain('| `integrity.fk` | Foreign-key orphans | ⚠️ WARN | 640 ms | orphan_rows count==0 → measured 3, limit 0 |');
    expect(md).toContain('## Connection pooling (`pool`)');
    expect(md).toContain('### `backup.restore`: Dump and restore into a scratch database ❌ FAIL');
    expect(md).toContain('**Reason:** pg_restore: error: could not execute query: permission denied for schema public');
  });

  it('lists threshold outcomes, ratings and findings with their recommendations', () => {
    expect(md).toContain('| `query_duration{query:point_lookup}` | `p(95)<100` | fail | 950 ms | ❌ missed | config.thresholds.basic_query_ms |');
    expect(md).toContain('| `acquire_duration` | `avg<50` | fail | 0.25 ms | ✅ met | default |');
    expect(md).toContain('| `query_duration{query:point_lookup} p95` | response_time_ms | 950 ms | **poor** |');
    expect(md).toContain('| `queries` | throughput_rps | 595 req/s | **good** |');
    expect(md).toContain('- **warn**: Sequential scan on transactions (`point_lookup`)<br>');
    expect(md).toContain('  *Recommendation:* Create an index on transactions(account_id).');
  });

  it('numbers the recommendations', () => {
    const items = md.split('## Recommendations\n\n')[1]!.split('\n\n')[0]!.split('\n');
    expect(items).toHaveLength(result.recommendations.length);
    // Ranked as the console ranks them, each with the server it is about: this run's PostgreSQL was stackprobe's own.
    const ranked = rankRecommendations(result);
    items.forEach((item, i) => expect(item.startsWith(`${i + 1}. **${ranked[i]!.severity}** · \`${ranked[i]!.checkId}\`${ranked[i]!.target === 'pg' ? ' (stackprobe\'s private PostgreSQL server)' : ''}: `), item).toBe(true));
  });

  it('describes the environment: client, server version, settings, private server, services not tested', () => {
    expect(md).toContain('| **Host** | ci-runner-7 |');
    expect(md).toContain('| **CPUs** | 8 × AMD EPYC 7B13 |');
    expect(md).toContain('| **Server version** | 15.8 |');
    expect(md).toContain('| `shared_buffers` | 128MB |');
    expect(md).toContain('| **URL** | `postgres://stackprobe@127.0.0.1:54329/stackprobe` |');
    expect(md).toMatch(/\| \*\*Private\*\* \| yes: an embedded PostgreSQL/);
    expect(md).toContain('| `redis` | REDIS_URL not set |');
  });

  it('escapes pipes and newlines in cells so every row has its table\'s column count', () => {
    expect(md).toContain('| note | warm pool \\| reused |');
    const odd = fullRunResult();
    odd.checks[3]!.reason = 'exit 1 | stderr:\nline two';
    odd.checks[0]!.title = 'Pool | sweep';
    const text = renderMarkdown(odd) + renderMarkdownDetails(odd);
    expect(text).toContain('| `backup.restore` | Dump and restore into a scratch database | ❌ FAIL | 950 ms | exit 1 \\| stderr:<br>line two |');
    expect(text).toContain('| `pool.connect` | Pool \\| sweep |');
    for (const t of tables(text)) {
      const width = t[0]!.length;
      for (const row of t) expect(row).toHaveLength(width);
    }
  });

  it('keeps a multi-line finding detail inside its list item', () => {
    expect(md).toContain(`- **error**: ${RECORDED.planted.pipeTitle} (\`entries.ledger_id\`)<br>\n  first line<br>\n  second | line<br>\n  *Recommendation:*`);
  });

  it('marks an interrupted run and renders an empty one', () => {
    expect(md).not.toContain('Interrupted');
    expect(renderMarkdown(interruptedRunResult())).toContain('> **Interrupted:**');
    const empty = renderMarkdown(emptyRunResult());
    expect(empty).toContain('No checks ran.');
    expect(empty).toContain('| **Response time** | no operations were timed |');
    expect(empty).toContain('None: nothing needs attention.');
    expect(empty.endsWith('\n')).toBe(true);
    expect(empty).not.toMatch(/\n{3}/);
  });
});

describe('lists of records in a check\'s details', () => {
  it('are tables of their own (a top-statements list), cut at 25 rows with a pointer to run.json', () => {
    const result = fullRunResult();
    const rows = Array.from({ length: 30 }, (_, i) => ({ query: `SELECT * FROM t WHERE id = $1 | ${i}`, calls: 100 - i, mean_ms: 1.5 }));
    result.checks[0]!.info.top_by_total_time = rows;
    const md = renderMarkdownDetails(result);
    const section = md.slice(md.indexOf('**top_by_total_time**'));
    const table = tables(section)[0]!;
    expect(table[0]).toEqual(['query', 'calls', 'mean_ms']);
    // Header, separator, 25 rows; the pipe inside the query text is escaped, not a column break.
    expect(table).toHaveLength(27);
    expect(table[2]).toEqual(['SELECT * FROM t WHERE id = $1 \\| 0', '100', '1.5']);
    expect(section).toContain('… and 5 more rows (all in run.json)');
    expect(md).not.toContain('"top_by_total_time"');
  });
});

describe('report.md fits a GitHub comment', () => {
  // A real quick run (35 checks, local services, 2026-11-30): its single report.md was 83,541 characters.
  const real = parseRunJson(gunzipSync(readFileSync(path.join(import.meta.dirname, '../fixtures/runs/quick-run.json.gz'))).toString('utf8'), 'quick-run.json');

  it('keeps report.md under 60,000 characters and links the details, which hold every check', () => {
    const md = renderMarkdown(real);
    const details = renderMarkdownDetails(real);
    expect(md.length).toBeLessThan(MARKDOWN_LIMIT);
    expect(md).toContain('[report-details.md](report-details.md)');
    expect(details).toContain('[report.md](report.md)');
    for (const c of real.checks) {
      expect(md).toContain(`| \`${c.id}\` |`);
      expect(details).toContain(`### \`${c.id}\``);
    }
    // The servers' settings are details; the verdict and the recommendations are the summary.
    expect(md).not.toContain('| Setting | Value |');
    expect(details).toContain('| Setting | Value |');
    expect(md).toContain('## Recommendations');
  });

  it('stays under the limit when every check fails with a long reason, cutting at a line with a pointer', () => {
    const big = structuredClone(real);
    for (let i = 0; i < 40; i++) big.checks.push(...real.checks.map((c) => ({ ...c, id: `${c.id}_${i}`, status: 'fail' as const, reason: 'x '.repeat(2000) })));
    const md = renderMarkdown(big);
    expect(md.length).toBeLessThanOrEqual(MARKDOWN_LIMIT);
    expect(md).toMatch(/Cut here to stay under 60,000 characters .*report-details\.md/);
  });
});

describe('whose figures, in report.md', () => {
  it('says which checks measured stackprobe\'s synthetic workload and what the run wrote where', () => {
    const real = parseRunJson(gunzipSync(readFileSync(path.join(import.meta.dirname, '../fixtures/runs/quick-run.json.gz'))).toString('utf8'), 'quick-run.json');
    const md = renderMarkdown(real);
    const section = md.split('## Whose figures, and what this run wrote\n\n')[1]!.split('\n\n')[0]!;
    expect(section).toMatch(/^- \*\*stackprobe's synthetic workload\*\*, not your tables: queries\.basic /);
    expect(section).toContain('- **Written**: schema stackprobe in database test (158,495 rows) (removed at the end of the run)');
    expect(section).toMatch(/- \*\*Written\*\*: scratch database stackprobe_restore_[0-9a-f]+ \(removed at the end of the run\)/);
    // A run that measured nothing of its own and wrote nothing has no such section.
    expect(renderMarkdown(emptyRunResult())).not.toContain('## Whose figures');
  });
});

describe('advice naming many tables', () => {
  it('report.md keeps the ANALYZE statement whole, every table in it; the console shows it whole or not at all', () => {
    const r = fullRunResult();
    const tables = Array.from({ length: 40 }, (_, i) => `public.ledger_entries_partition_${String(i).padStart(2, '0')}`);
    const statement = `ANALYZE ${tables.join(', ')};`;
    r.recommendations = [{ checkId: 'integrity.catalog', severity: 'warn', text: `${statement} and check that autovacuum is on (SHOW autovacuum) and not blocked.`, target: 'pg' }];
    expect(renderMarkdown(r)).toContain(statement);
    const screen = renderConsoleSummary(r, { color: false, width: 80, height: 24 });
    expect(screen).not.toContain('…');
    expect(screen).not.toContain('ANALYZE');
    expect(screen).toContain('Every check and figure, the recommendation: --verbose, or report.md.');
  });
});
