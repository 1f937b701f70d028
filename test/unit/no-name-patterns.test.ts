// Compare, report, merge, advice and run read what a metric means (its declared meaning, src/metrics/meaning.ts) and what
// a check declares (its hooks, src/checks/types.ts), never a name: no metric name, check id or category spelled in
// their code, no suffix or prefix of one matched (`endsWith('_duration')`, `startsWith('queries.')`, `/_total$/`). Every
// file is read with TypeScript's own parser; the names come from the checks' declarations, not from a list kept here.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { builtinChecks } from '../../src/checks/index.js';
import { validateConfig } from '../../src/config/load.js';
import { declaredMetrics } from '../../src/verdict/rules.js';

const SRC = resolve(import.meta.dirname, '../../src');
/** The folders that must never decide anything from a name. */
const GUARDED = ['compare', 'report', 'merge', 'advice', 'run'];
/** Files allowed to match a name anyway, each with why. Empty, and meant to stay so. */
const ALLOWED = new Map<string, string>([]);

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? tsFiles(p) : e.name.endsWith('.ts') ? [p] : [];
  });
}

const parse = (file: string) => ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);

function walk(node: ts.Node, visit: (n: ts.Node) => void): void {
  visit(node);
  node.forEachChild((c) => walk(c, visit));
}

/** Calls that record or look up a metric by a string (the deprecated string API of src/metrics/registry.ts). */
const STRING_API = new Set(['describe', 'timeSeries', 'trend', 'rate', 'counter', 'gauge', 'headline']);

/**
 * Every name a built-in check can record: its declarations (the metrics it lists, and every declaration its folder's
 * metrics.ts exports, series included) and the names recorded through the string API anywhere under src/checks.
 */
async function knownNames(): Promise<Set<string>> {
  const names = new Set<string>();
  const config = validateConfig({});
  for (const c of builtinChecks) for (const d of declaredMetrics(c, config) ?? []) names.add(d.name);
  const modules = [...readdirSync(join(SRC, 'checks')).map((f) => join(SRC, 'checks', f, 'metrics.ts')), join(SRC, 'resources/metrics.ts')];
  const isDecl = (v: unknown): v is { name: string } => v !== null && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string' && typeof (v as { type?: unknown }).type === 'string';
  for (const file of modules.filter((f) => { try { return readFileSync(f) !== undefined; } catch { return false; } })) {
    const mod = await import(file) as Record<string, unknown>;
    for (const v of Object.values(mod)) {
      for (const inner of [v, ...(v !== null && typeof v === 'object' ? Object.values(v) : [])]) if (isDecl(inner)) names.add(inner.name);
    }
  }
  for (const file of tsFiles(join(SRC, 'checks'))) {
    walk(parse(file), (n) => {
      if (!ts.isCallExpression(n) || !ts.isPropertyAccessExpression(n.expression) || !STRING_API.has(n.expression.name.text)) return;
      // `ctx.rate(kind, metric, value)` rates a figure on a band: its first argument is the band's kind, no metric.
      if (n.expression.name.text === 'rate' && n.arguments.length === 3) return;
      const first = n.arguments[0];
      if (first && ts.isStringLiteral(first) && /^[a-z][a-z0-9]*(_[a-z0-9]+)+$/.test(first.text)) names.add(first.text);
    });
  }
  return names;
}

export interface NameMatch { line: number; text: string; why: string }

/** Calls and comparisons that look a figure up by what they are given (a sibling `${prefix}_errors` found by name). */
const LOOKUPS = new Set(['get', 'has', 'find', 'filter', 'some', 'findIndex', 'metricKey', 'endsWith', 'startsWith', 'includes']);

function lookedUp(n: ts.Node): boolean {
  const p = n.parent;
  if (ts.isBinaryExpression(p)) return [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken].includes(p.operatorToken.kind);
  if (!ts.isCallExpression(p) || !p.arguments.includes(n as ts.Expression)) return false;
  const callee = p.expression;
  return LOOKUPS.has(ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '');
}

/** A fragment of a snake_case name: starts or ends with the underscore that joins words (`_duration`, `load_`). */
const FRAGMENT = /(^|[^A-Za-z0-9_])_[a-z]{2,}|[a-z]{2,}_($|[^A-Za-z0-9_])/;

/**
 * The places a source matches a name: a literal that is a metric name, a check id or a category; a literal that begins
 * with a category and a dot (a check id's prefix); a snake_case fragment given to a string test; a regular expression
 * spelling one.
 */
export function nameMatches(file: string, source: string, known: { metrics: Set<string>; ids: Set<string>; categories: Set<string> }): NameMatch[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const out: NameMatch[] = [];
  const at = (n: ts.Node, why: string) => out.push({ line: sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1, text: n.getText(sf), why });
  const STRING_TESTS = new Set(['endsWith', 'startsWith', 'includes', 'indexOf', 'lastIndexOf', 'match', 'replace', 'replaceAll', 'split', 'slice']);
  walk(sf, (n) => {
    if (ts.isStringLiteralLike(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) {
      const text = n.text;
      if (known.metrics.has(text)) at(n, 'a metric name');
      else if (known.ids.has(text)) at(n, 'a check id');
      else if (known.categories.has(text) && !ts.isImportDeclaration(n.parent) && !ts.isExportDeclaration(n.parent)) at(n, 'a category');
      else if ([...known.categories].some((c) => text.startsWith(`${c}.`))) at(n, 'the prefix of a check id');
      else if (FRAGMENT.test(text) && ts.isCallExpression(n.parent) && ts.isPropertyAccessExpression(n.parent.expression) && STRING_TESTS.has(n.parent.expression.name.text)) {
        at(n, `a fragment of a name given to ${n.parent.expression.name.text}()`);
      }
    } else if (ts.isTemplateExpression(n) && lookedUp(n) && [n.head, ...n.templateSpans.map((x) => x.literal)].some((part) => FRAGMENT.test(part.text) || /^_[a-z]{2,}|[a-z]{2,}_$/.test(part.text))) {
      at(n, 'a name built from a fragment to look a figure up');
    } else if (n.kind === ts.SyntaxKind.RegularExpressionLiteral) {
      const body = n.getText(sf).slice(1, n.getText(sf).lastIndexOf('/'));
      if (/_[a-z]{2,}/.test(body) || [...known.metrics].some((m) => body.includes(m))) at(n, 'a regular expression over a name');
    }
  });
  return out;
}

describe('no behaviour read from a name', () => {
  it('compare, report, merge, advice and run match no metric name, check id or category', async () => {
    const known = {
      metrics: await knownNames(),
      ids: new Set(builtinChecks.map((c) => c.id)),
      categories: new Set(builtinChecks.map((c) => c.category)),
    };
    // The names are really there to look for: a scan that knows none would pass anything.
    expect(known.metrics.size).toBeGreaterThan(100);
    for (const name of ['query_duration', 'cache_hit_rate', 'load_p95', 'sweep_round_throughput', 'task_outstanding']) expect(known.metrics, name).toContain(name);
    const found: string[] = [];
    for (const folder of GUARDED) {
      for (const file of tsFiles(join(SRC, folder))) {
        const rel = relative(SRC, file);
        if (ALLOWED.has(rel)) continue;
        for (const m of nameMatches(file, readFileSync(file, 'utf8'), known)) found.push(`${rel}:${m.line}: ${m.text} (${m.why})`);
      }
    }
    expect(found).toEqual([]);
    expect([...ALLOWED.keys()]).toEqual([]);
  });

  it('finds a name matched in each way it can be spelled', () => {
    const known = { metrics: new Set(['query_duration', 'load_p95']), ids: new Set(['pool.sizing']), categories: new Set(['pool', 'cache']) };
    const planted = [
      "const a = m.name.endsWith('_duration');",
      "const b = m.name.startsWith('load_');",
      "const c = checks.find((x) => x.id === 'pool.sizing');",
      "const d = c.category === 'cache';",
      "const e = id.startsWith('pool.');",
      "const f = s.find((x) => x.name === 'load_p95');",
      'const g = /_total$/.test(name);',
      "const h = `${'query_duration'}`;",
      "switch (category) { case 'pool': break; }",
      'const i = byKey.get(`rate:${metricKey(`${prefix}_errors`, tags)}`);',
      'const j = m.name === `${op}_duration`;',
    ];
    const hits = nameMatches('planted.ts', planted.join('\n'), known);
    expect([...new Set(hits.map((h) => h.line))]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // What is no name stays quiet: a unit, a tag, a format, an event, a free word.
    const quiet = ['e.add(`${name}_total`, type);', "const u = unit === 'ms';", "const t = s.startsWith('`');", "x.replace(/[^a-zA-Z0-9_]/g, '_');", "const k = e.type === 'check-end';", "const w = 'the pool sweep';"];
    expect(nameMatches('quiet.ts', quiet.join('\n'), known)).toEqual([]);
  });
});
