// Pure: index advice from an estimated plan (no ANALYZE): a sequential scan of a big table whose filter the planner
// expects to keep few rows, on a column no index leads → CREATE INDEX CONCURRENTLY on that column.
import { comparedByEquality, filterColumns, nodeLabel, walk, type ExplainOutput, type PlanNode } from '../queries/explain-advice.js';
import { qualified, quoteIdent } from '../../workload/sql.js';

export interface RelationInfo {
  schema: string;
  table: string;
  rows: number;
  columns: string[];
  indexed: string[];
}

export interface IndexAdvice {
  schema: string;
  table: string;
  column: string;
  tableRows: number;
  plannedRows: number;
  filter: string;
  node: string;
  statement: string;
}

export function indexAdvice(plan: ExplainOutput[], relations: RelationInfo[], opts: { bigTableRows: number; selectiveShare: number }): IndexAdvice[] {
  const byName = new Map(relations.map((r) => [`${r.schema}.${r.table}`, r]));
  const out: IndexAdvice[] = [];
  walk(plan[0]!.Plan, (node: PlanNode) => {
    if (!/Seq Scan$/.test(node['Node Type']) || !node.Filter || !node['Relation Name'] || !node.Schema) return;
    const rel = byName.get(`${node.Schema}.${node['Relation Name']}`);
    if (!rel || rel.rows < opts.bigTableRows) return;
    const planned = node['Plan Rows'] ?? rel.rows;
    if (planned > rel.rows * opts.selectiveShare) return;
    const unindexed = filterColumns(node.Filter, rel.columns).filter((c) => !rel.indexed.includes(c));
    const column = unindexed.find((c) => comparedByEquality(node.Filter!, c)) ?? unindexed[0];
    if (!column) return;
    out.push({
      schema: rel.schema, table: rel.table, column, tableRows: rel.rows, plannedRows: planned, filter: node.Filter, node: nodeLabel(node),
      statement: `CREATE INDEX CONCURRENTLY ON ${qualified(rel.schema, rel.table)} (${quoteIdent(column)})`,
    });
  });
  return out;
}

/** Relations a VERBOSE plan reads, as parallel arrays for RELATIONS_SQL. */
export function planRelationArrays(plan: ExplainOutput[]): [string[], string[]] {
  const seen = new Map<string, [string, string]>();
  walk(plan[0]!.Plan, (n) => {
    if (n['Relation Name'] && n.Schema) seen.set(`${n.Schema}.${n['Relation Name']}`, [n.Schema, n['Relation Name']]);
  });
  const pairs = [...seen.values()];
  return [pairs.map((p) => p[0]), pairs.map((p) => p[1])];
}

/** An estimated plan as indented lines (node, relation, index, estimated rows, conditions), for reports. */
export function planText(plan: ExplainOutput[]): string {
  const lines: string[] = [];
  const visit = (n: PlanNode, depth: number) => {
    const conds = (['Index Cond', 'Filter', 'Hash Cond', 'Join Filter'] as const)
      .map((k) => ((n as unknown as Record<string, unknown>)[k] ? `${k}: ${String((n as unknown as Record<string, unknown>)[k])}` : ''))
      .filter(Boolean);
    lines.push(`${'  '.repeat(depth)}${depth > 0 ? '-> ' : ''}${nodeLabel(n)} (rows≈${n['Plan Rows'] ?? '?'})${conds.length > 0 ? ` ${conds.join('; ')}` : ''}`);
    for (const c of n.Plans ?? []) visit(c, depth + 1);
  };
  visit(plan[0]!.Plan, 0);
  return lines.join('\n');
}
