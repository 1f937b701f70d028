// The layering of src/ (docs/architecture.md, "The layers") as a rule: every import read with TypeScript's own scanner,
// never a regex, and checked against the folders' ranks; folder cycles are refused too.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** A folder may import from folders of a lower rank only (docs/architecture.md keeps the same table). */
const RANK: Record<string, number> = {
  util: 0, safety: 0, version: 0,
  config: 1, metrics: 1,
  result: 2, exec: 2,
  targets: 3, resources: 3,
  workload: 4, verdict: 4,
  checks: 5,
  advice: 6,
  merge: 7, compare: 7,
  report: 8,
  run: 9,
  cli: 10, index: 10,
};

/**
 * Imports that still go against the ranks, each to be moved; an entry whose import is gone fails the test, so the list
 * only shrinks. Keys are `from -> to`, paths relative to src/.
 */
const KNOWN_BACK_IMPORTS = new Map<string, string>([
  ['metrics/serialize.ts -> result/model.ts', 'the serialised metric types live in the result model; they belong with the metrics'],
  ['verdict/rules.ts -> checks/types.ts', 'threshold rules read the defaults a check declares; the declaration belongs below checks'],
  ['config/sections/embedded.ts -> targets/embedded/builds.ts', 'the list of PostgreSQL majors a private server can run; a fact config can own'],
]);

interface Edge { from: string; to: string }

function folderOf(file: string): string {
  const parts = file.split(sep);
  return parts.length === 1 ? parts[0]!.replace(/\.ts$/, '') : parts[0]!;
}

function sourceEdges(): Edge[] {
  const files = (readdirSync(SRC, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  const edges: Edge[] = [];
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(join(SRC, file), 'utf8'), true, true);
    for (const imported of info.importedFiles) {
      if (!imported.fileName.startsWith('.')) continue; // packages and node: built-ins
      const target = relative(SRC, resolve(dirname(join(SRC, file)), imported.fileName)).replace(/\.js$/, '.ts');
      edges.push({ from: file, to: target });
    }
  }
  return edges;
}

/** Folder pairs that import each other, directly or around a longer loop (Tarjan's strongly connected components). */
function folderCycles(edges: Edge[]): string[][] {
  const graph = new Map<string, Set<string>>();
  for (const e of edges) {
    const a = folderOf(e.from), b = folderOf(e.to);
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)!.add(b);
  }
  let counter = 0;
  const index = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>();
  const stack: string[] = [], cycles: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); component.push(w); } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('the layering of src/', () => {
  const edges = sourceEdges();
  const key = (e: Edge): string => `${e.from.split(sep).join('/')} -> ${e.to.split(sep).join('/')}`;

  it('gives every folder of src/ a rank', () => {
    const folders = new Set(edges.flatMap((e) => [folderOf(e.from), folderOf(e.to)]));
    expect([...folders].filter((f) => RANK[f] === undefined)).toEqual([]);
  });

  it('is the table docs/architecture.md shows a newcomer, rank for rank', () => {
    const page = readFileSync(resolve(import.meta.dirname, '../../docs/architecture.md'), 'utf8');
    const documented: Record<string, number> = {};
    for (const row of page.matchAll(/^\| (\d+) \| ([^|]+) \|/gm)) {
      for (const name of row[2]!.matchAll(/`([a-z]+)(?:\/|\.ts)`/g)) documented[name[1]!] = Number(row[1]);
    }
    expect(documented).toEqual(RANK);
  });

  it('has no import from a folder to one of the same or a higher rank, beyond the listed ones', () => {
    const back = edges.filter((e) => folderOf(e.from) !== folderOf(e.to) && RANK[folderOf(e.to)]! >= RANK[folderOf(e.from)]!);
    expect(back.map(key).filter((k) => !KNOWN_BACK_IMPORTS.has(k))).toEqual([]);
  });

  it('lists only back-imports that still exist', () => {
    const present = new Set(edges.map(key));
    expect([...KNOWN_BACK_IMPORTS.keys()].filter((k) => !present.has(k))).toEqual([]);
  });

  it('has no cycle between folders', () => {
    const kept = edges.filter((e) => !KNOWN_BACK_IMPORTS.has(key(e)));
    expect(folderCycles(kept)).toEqual([]);
  });

  it('lets merge and the ETA reach checks only through the Check interface (their hooks), never a check itself', () => {
    const reaching = edges.filter((e) => (folderOf(e.from) === 'merge' || key(e).startsWith('run/estimate.ts ->')) && folderOf(e.to) === 'checks');
    expect(reaching.map(key).filter((k) => !k.endsWith('-> checks/types.ts'))).toEqual([]);
    expect(reaching.length).toBeGreaterThan(0);
  });

  it('catches a planted back-import', () => {
    const planted = [...edges, { from: join('metrics', 'trend.ts'), to: join('report', 'format.ts') }];
    const back = planted.filter((e) => folderOf(e.from) !== folderOf(e.to) && RANK[folderOf(e.to)]! >= RANK[folderOf(e.from)]!);
    expect(back.map(key)).toContain('metrics/trend.ts -> report/format.ts');
  });
});
