// Pure: turns an EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) plan into findings in plain words, each with a recommendation.
import type { Finding } from '../../result/model.js';
import { qualified, quoteIdent } from '../../workload/sql.js';

/** A plan node as PostgreSQL's JSON format writes it (only the fields the advice reads). */
export interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  Schema?: string;
  Alias?: string;
  'Index Name'?: string;
  Filter?: string;
  'Rows Removed by Filter'?: number;
  'Plan Rows'?: number;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Sort Key'?: string[];
  'Sort Method'?: string;
  'Sort Space Used'?: number;
  'Sort Space Type'?: string;
  'Hash Batches'?: number;
  'Original Hash Batches'?: number;
  'Peak Memory Usage'?: number;
  Plans?: PlanNode[];
}

export interface ExplainOutput {
  Plan: PlanNode;
  'Planning Time'?: number;
  'Execution Time'?: number;
}

/** What the catalog says about a table the plan reads. */
export interface TableInfo {
  schema: string;
  table: string;
  columns: string[];
  /** Columns that lead at least one valid index (an index helps a filter on its leading column). */
  indexedColumns: string[];
  /** Leading columns of foreign keys. */
  foreignKeyColumns: string[];
}

export interface AdviceInput {
  query: string;
  /** The EXPLAIN JSON: PostgreSQL returns an array holding one object. */
  plan: ExplainOutput[] | ExplainOutput;
  /** The query's p95 met its threshold: findings are then 'info', otherwise 'warn'. */
  withinThreshold: boolean;
  tables: TableInfo[];
}

/** Rows read by one sequential scan above which it is worth a finding. */
export const LARGE_SCAN_ROWS = 10_000;
/** A filter keeping at most this share of the rows it reads is selective enough for an index to pay. */
const SELECTIVE_SHARE = 0.1;
/** Estimates off by this factor or more mislead the planner. */
const MISESTIMATE_FACTOR = 10;
/** ... but only where it matters: at least this many rows on the larger side. */
const MISESTIMATE_MIN_ROWS = 1_000;

export function walk(node: PlanNode, visit: (n: PlanNode) => void): void {
  visit(node);
  for (const child of node.Plans ?? []) walk(child, visit);
}

export function nodeLabel(n: PlanNode): string {
  let label = n['Node Type'];
  if (n['Index Name']) label += ` using ${n['Index Name']}`;
  if (n['Relation Name']) label += ` on ${n.Schema ? `${n.Schema}.` : ''}${n['Relation Name']}`;
  return label;
}

/** Relations the plan reads, as [schema, table] (schema only with VERBOSE). */
export function planRelations(plan: ExplainOutput[] | ExplainOutput): Array<[string, string]> {
  const out = new Map<string, [string, string]>();
  walk(rootOf(plan).Plan, (n) => {
    if (n['Relation Name'] && n.Schema) out.set(`${n.Schema}.${n['Relation Name']}`, [n.Schema, n['Relation Name']]);
  });
  return [...out.values()];
}

function rootOf(plan: ExplainOutput[] | ExplainOutput): ExplainOutput {
  const root = Array.isArray(plan) ? plan[0] : plan;
  if (!root?.Plan) throw new Error('not an EXPLAIN (FORMAT JSON) result: no "Plan"');
  return root;
}

/** Columns of `table` named in a filter expression (string literals and type names ignored). */
export function filterColumns(filter: string, columns: string[]): string[] {
  const known = new Set(columns);
  const found = new Set<string>();
  const text = filter.replace(/'(?:[^']|'')*'/g, "''");
  const ident = /(::\s*)?(?:"((?:[^"]|"")+)"|([A-Za-z_][A-Za-z0-9_$]*))(\s*\()?/g;
  for (const m of text.matchAll(ident)) {
    if (m[1] !== undefined || m[4] !== undefined) continue; // a cast's type name, or a function call
    const name = m[2] !== undefined ? m[2].replaceAll('""', '"') : m[3]!;
    if (known.has(name)) found.add(name);
  }
  return [...found];
}

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
const n0 = (v: number) => Math.round(v).toLocaleString('en-US');

export function explainAdvice(input: AdviceInput): Finding[] {
  const root = rootOf(input.plan);
  const severity = input.withinThreshold ? 'info' : 'warn';
  const planningMs = root['Planning Time'] ?? 0;
  const executionMs = root['Execution Time'] ?? 0;
  const base = { query: input.query, totalMs: round(planningMs + executionMs, 3), planningMs: round(planningMs, 3), executionMs: round(executionMs, 3), topNode: nodeLabel(root.Plan) };
  const findings: Finding[] = [];
  const add = (node: PlanNode, f: Omit<Finding, 'severity' | 'subject' | 'data'>, extra: Record<string, unknown> = {}) =>
    findings.push({ severity, subject: input.query, ...f, data: { ...base, node: nodeLabel(node), ...extra } });

  const tables = new Map(input.tables.map((t) => [`${t.schema}.${t.table}`, t]));
  let worstMisestimate: { node: PlanNode; factor: number; actual: number; planned: number } | undefined;

  walk(root.Plan, (node) => {
    const type = node['Node Type'];
    const loops = node['Actual Loops'] ?? 1;
    if ((type === 'Seq Scan' || type === 'Parallel Seq Scan') && node.Filter) {
      const kept = (node['Actual Rows'] ?? 0) * loops;
      const read = kept + (node['Rows Removed by Filter'] ?? 0) * loops;
      if (read >= LARGE_SCAN_ROWS && kept <= read * SELECTIVE_SHARE) seqScanFinding(node, read, kept, tables, input.query, add);
    }
    if (node['Sort Space Type'] === 'Disk' || /external/i.test(node['Sort Method'] ?? '')) {
      const kb = node['Sort Space Used'] ?? 0;
      const mb = suggestMb(kb);
      add(node, {
        title: `sort spilled to disk (${node['Sort Method'] ?? 'external'}, ${n0(kb)} kB) in ${input.query}`,
        detail: `The sort by ${(node['Sort Key'] ?? []).join(', ') || 'its key'} did not fit in work_mem and was done on disk.`,
        recommendation: `Raise work_mem for this workload (e.g. SET work_mem = '${mb}MB' in its session or ALTER ROLE … SET work_mem = '${mb}MB'), or add an index that returns the rows already in order.`,
      }, { sortSpaceKb: kb, sortMethod: node['Sort Method'] });
    }
    if (type === 'Hash' && (node['Hash Batches'] ?? 1) > 1) {
      const batches = node['Hash Batches']!;
      const mb = suggestMb((node['Peak Memory Usage'] ?? 0) * batches);
      add(node, {
        title: `hash table spilled to disk in ${batches} batches in ${input.query}`,
        detail: `The hash of ${n0((node['Actual Rows'] ?? 0) * loops)} rows needed ${batches} batches (planned ${node['Original Hash Batches'] ?? 1}): it did not fit in work_mem × hash_mem_multiplier.`,
        recommendation: `Raise work_mem (e.g. SET work_mem = '${mb}MB') or hash_mem_multiplier for this workload, or filter rows before the join.`,
      }, { hashBatches: batches, originalHashBatches: node['Original Hash Batches'] });
    }
    const planned = node['Plan Rows'];
    const actual = node['Actual Rows'];
    if (planned !== undefined && actual !== undefined && loops > 0) {
      const hi = Math.max(planned, actual);
      const factor = hi / Math.max(Math.min(planned, actual), 1);
      if (hi >= MISESTIMATE_MIN_ROWS && factor >= MISESTIMATE_FACTOR && (!worstMisestimate || factor > worstMisestimate.factor)) {
        worstMisestimate = { node, factor, actual, planned };
      }
    }
  });

  if (worstMisestimate) {
    const { node, factor, actual, planned } = worstMisestimate;
    const rel = node['Relation Name'] ? qualified(node.Schema ?? 'public', node['Relation Name']) : undefined;
    add(node, {
      title: `row estimate off by ${Math.round(factor)}× at ${nodeLabel(node)} in ${input.query}`,
      detail: `The planner expected ${n0(planned)} rows and got ${n0(actual)} (per loop); plans built on wrong estimates pick the wrong join and scan methods.`,
      recommendation: rel
        ? `Run ANALYZE ${rel}; if the columns of its filter are correlated, CREATE STATISTICS on them; consider a higher default_statistics_target for skewed columns.`
        : 'Run ANALYZE on the tables involved; for correlated filter columns, CREATE STATISTICS on them.',
    }, { plannedRows: planned, actualRows: actual, factor: round(factor, 1) });
  }

  if (findings.length === 0) {
    findings.push({
      severity: 'info', subject: input.query,
      title: `plan of ${input.query}: ${nodeLabel(root.Plan)}, ${round(planningMs + executionMs, 3)} ms, nothing to improve found`,
      data: base,
    });
  }
  return findings;
}

type Add = (node: PlanNode, f: Omit<Finding, 'severity' | 'subject' | 'data'>, extra?: Record<string, unknown>) => void;

function seqScanFinding(node: PlanNode, read: number, kept: number, tables: Map<string, TableInfo>, query: string, add: Add): void {
  const rel = node['Relation Name']!;
  const info = node.Schema ? tables.get(`${node.Schema}.${rel}`) : undefined;
  const relSql = qualified(node.Schema ?? 'public', rel);
  const cols = info ? filterColumns(node.Filter!, info.columns) : [];
  const unindexed = cols.filter((c) => !info!.indexedColumns.includes(c));
  const scan = `${query} reads all ${n0(read)} rows of ${node.Schema ? `${node.Schema}.` : ''}${rel} sequentially and keeps ${n0(kept)} (filter: ${node.Filter}).`;
  const extra = { rowsRead: read, rowsKept: kept, filter: node.Filter, filterColumns: cols };
  if (unindexed.length > 0) {
    // One column to index: one the filter compares with '=' directly (a plain index serves it), a foreign key among
    // those first (lookups by parent need it anyway); else a foreign key; else the first one named.
    const isFk = (c: string) => info!.foreignKeyColumns.includes(c);
    const equal = unindexed.filter((c) => comparedByEquality(node.Filter!, c));
    const col = equal.find(isFk) ?? equal[0] ?? unindexed.find(isFk) ?? unindexed[0]!;
    const fk = isFk(col);
    add(node, {
      title: `missing index on ${fk ? 'foreign key ' : ''}column ${rel}.${col} (sequential scan in ${query})`,
      detail: scan,
      recommendation: `CREATE INDEX ON ${relSql} (${quoteIdent(col)})`,
    }, { ...extra, missingIndexOn: col, unindexedFilterColumns: unindexed, foreignKey: fk });
    return;
  }
  add(node, {
    title: `sequential scan on large table ${rel} in ${query}`,
    detail: scan,
    recommendation: cols.length > 0
      ? `An index leading with ${cols.join(', ')} exists but the planner did not use it: run ANALYZE ${relSql}, and check that the filter compares the column itself (no function or cast on it) with a value of the same type.`
      : `Add an index matching the filter, e.g. CREATE INDEX ON ${relSql} (…), or an expression index if the filter applies a function.`,
  }, extra);
}

/** True when the filter has `col = …` with the column itself (optionally alias-qualified) on the left. */
export function comparedByEquality(filter: string, col: string): boolean {
  const name = /^[a-z_][a-z0-9_]*$/.test(col) ? col : `"${col.replaceAll('"', '""')}"`;
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(?:^|[\\s(])(?:[A-Za-z_][\\w$]*\\.)?${escaped}\\s*=\\s`).test(filter);
}

/** A work_mem suggestion in MB: twice what was spilled, rounded up to a power of two, at least 8. */
function suggestMb(kb: number): number {
  const need = Math.max(8, Math.ceil((kb * 2) / 1024));
  return 2 ** Math.ceil(Math.log2(need));
}
