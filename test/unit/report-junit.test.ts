// JUnit XML: one test case per check, failures with threshold messages, skips with reasons; valid against the common schema.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderJunit } from '../../src/report/junit.js';
import type { RunResult } from '../../src/result/model.js';
import { emptyRunResult, fullRunResult, interruptedRunResult } from '../fixtures/run-result.js';

const XSD = path.resolve(import.meta.dirname, '../fixtures-junit/junit.xsd');
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;
const dir = mkdtempSync(path.join(os.tmpdir(), 'stackprobe-junit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function validate(xml: string, name: string): string {
  const file = path.join(dir, `${name}.xml`);
  writeFileSync(file, xml);
  return execFileSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function evilResult(): RunResult {
  const r = fullRunResult();
  const c = r.checks.find((x) => x.id === 'backup.restore')!;
  c.reason = 'bad <tag> & "quotes" \u0007 bell\nnew line';
  r.checks.find((x) => x.id === 'queries.basic')!.findings[0]!.title = ']]> <![CDATA[ & </system-out>';
  return r;
}

describe('renderJunit', () => {
  const xml = renderJunit(fullRunResult());

  it('has one test case per check with counts on the suites', () => {
    expect(xml.match(/<testcase /g)).toHaveLength(6);
    expect(xml).toMatch(/<testsuites name="stackprobe" tests="6" failures="1" errors="1" skipped="2" time="12\.345"/);
    expect(xml).toMatch(/<testsuite name="queries"[^>]* tests="1" failures="1" errors="0" skipped="0"/);
  });

  it('gives failures their threshold messages, errors their reasons, skips their reasons', () => {
    expect(xml).toContain('<failure message="query_duration{query:point_lookup} p(95)&lt;100 → measured 950 ms, limit 100 ms" type="threshold">');
    expect(xml).toContain('<error message="pg_restore: error: could not execute query: permission denied for schema public" type="check-error">');
    expect(xml).toContain('<skipped message="REDIS_URL not set"/>');
    expect(xml).toMatch(/<testcase name="integrity\.fk: Foreign-key orphans"[^>]*>\s*<system-out>warn: orphan_rows count==0 → measured 3, limit 0/);
  });

  it('escapes markup and drops characters XML cannot hold', () => {
    const out = renderJunit(evilResult());
    expect(out).toContain('message="bad &lt;tag&gt; &amp; &quot;quotes&quot; \uFFFD bell&#10;new line"');
    expect(out).toContain(']]&gt; &lt;![CDATA[ &amp; &lt;/system-out&gt;');
    expect(out).not.toContain('\u0007');
  });

  it.skipIf(!hasXmllint)('validates against the common JUnit XML schema (xmllint)', () => {
    expect(() => validate(xml, 'full')).not.toThrow();
    expect(() => validate(renderJunit(evilResult()), 'evil')).not.toThrow();
    expect(() => validate(renderJunit(emptyRunResult()), 'empty')).not.toThrow();
    expect(() => validate(renderJunit(interruptedRunResult()), 'interrupted')).not.toThrow();
    // The schema does reject what it should: a testcase without a name.
    expect(() => validate(xml.replace(/<testcase name="[^"]*"/, '<testcase'), 'broken')).toThrow();
  });
});
