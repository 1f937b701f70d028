// JUnit XML for CI: one test suite per category, one test case per check; failures carry their threshold messages,
// skips their reasons, and a check that errored (no threshold, a thrown error) is an <error>.
import type { CheckResult, RunResult } from '../result/model.js';
import { formatThreshold, groupByCategory } from './format.js';
import { xmlAttr, xmlText } from './xml.js';

const seconds = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

export function renderJunit(result: RunResult): string {
  const groups = groupByCategory(result.checks);
  const count = (checks: CheckResult[], pred: (c: CheckResult) => boolean) => checks.filter(pred).length;
  const all = result.checks;
  // An untrusted check is an error, not a failure: the measurement could not be made faithfully (exit code 3).
  const isError = (c: CheckResult) => (c.status === 'fail' && Boolean(c.reason)) || c.status === 'untrusted';
  const isFailure = (c: CheckResult) => c.status === 'fail' && !c.reason;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${xmlAttr(result.environment.tool.name)}" tests="${all.length}" failures="${count(all, isFailure)}" errors="${count(all, isError)}" ` +
      `skipped="${count(all, (c) => c.status === 'skip')}" time="${seconds(result.durationMs)}" timestamp="${xmlAttr(result.startedAt)}">`,
  ];
  groups.forEach((g, i) => {
    const time = g.checks.reduce((s, c) => s + c.durationMs, 0);
    lines.push(
      `  <testsuite name="${xmlAttr(g.category)}" id="${i}" package="stackprobe" tests="${g.checks.length}" failures="${count(g.checks, isFailure)}" ` +
        `errors="${count(g.checks, isError)}" skipped="${count(g.checks, (c) => c.status === 'skip')}" time="${seconds(time)}" ` +
        `timestamp="${xmlAttr(g.checks[0]!.startedAt.replace(/Z$/, ''))}" hostname="${xmlAttr(result.environment.client.hostname)}">`,
      '    <properties>',
      `      <property name="mode" value="${xmlAttr(result.mode)}"/>`,
      `      <property name="read_only" value="${String(result.readOnly)}"/>`,
      `      <property name="interrupted" value="${String(result.interrupted)}"/>`,
      `      <property name="version" value="${xmlAttr(result.environment.tool.version)}"/>`,
      '    </properties>',
      ...g.checks.flatMap(testCase),
      '  </testsuite>',
    );
  });
  lines.push('</testsuites>');
  return `${lines.join('\n')}\n`;
}

function testCase(c: CheckResult): string[] {
  const open = `    <testcase name="${xmlAttr(`${c.id}: ${c.title}`)}" classname="${xmlAttr(`stackprobe.${c.category}`)}" time="${seconds(c.durationMs)}"`;
  const body: string[] = [];
  const missed = c.thresholds.filter((t) => !t.ok);
  if (c.status === 'skip') {
    body.push(`      <skipped message="${xmlAttr(c.reason ?? 'skipped')}"/>`);
  } else if (c.status === 'fail' && c.reason) {
    body.push(`      <error message="${xmlAttr(c.reason)}" type="check-error">${xmlText(c.reason)}</error>`);
  } else if (c.status === 'untrusted') {
    const message = missed.filter((t) => t.level === 'fail').map(formatThreshold).join('; ');
    body.push(`      <error message="${xmlAttr(message)}" type="untrusted">${xmlText(missed.map((t) => `${t.level}: ${formatThreshold(t)}`).join('\n'))}</error>`);
  } else if (c.status === 'fail') {
    const failing = missed.filter((t) => t.level === 'fail');
    const message = failing.map(formatThreshold).join('; ') || 'a threshold was not met';
    body.push(`      <failure message="${xmlAttr(message)}" type="threshold">${xmlText(missed.map((t) => `${t.level}: ${formatThreshold(t)}`).join('\n'))}</failure>`);
  }
  const out = outputText(c, missed.filter((t) => t.level === 'warn').map((t) => `warn: ${formatThreshold(t)}`));
  if (out) body.push(`      <system-out>${xmlText(out)}</system-out>`);
  return body.length ? [`${open}>`, ...body, '    </testcase>'] : [`${open}/>`];
}

/** Warnings and findings, so a CI page shows why a passing check warned. */
function outputText(c: CheckResult, warnings: string[]): string {
  const lines = [...(c.status === 'warn' ? warnings : [])];
  for (const f of c.findings) {
    lines.push(`${f.severity}: ${f.title}${f.subject ? ` (${f.subject})` : ''}`);
    if (f.recommendation) lines.push(`  recommendation: ${f.recommendation}`);
  }
  return lines.join('\n');
}
