// The round trip's scope line: which schemas and objects were dumped and compared, which were left out and why, which kinds are never compared.
import type { CheckContext } from '../types.js';
import type { Scope } from './choose.js';
import type { Budgeted } from './scope.js';

export interface ScopeFacts {
  scope: Scope;
  chosen: Budgeted;
  seqs: number;
  definitions: number;
  extensions: string[];
  withBlobs: boolean;
  loWhy: string;
  loCount: number | undefined;
  uncompared: { why: string; n: number }[];
}

/** Never compared (a restore error in any of them still fails the check, through --exit-on-error). */
export const NOT_COMPARED_KINDS = [
  'roles, ownership and privileges (restored with --no-owner --no-privileges)',
  'objects owned by extensions (recreated by CREATE EXTENSION), aggregates, operators, casts, publications, event triggers',
  'database-level settings and objects outside the database (roles, tablespaces)',
  'what the definitions above leave out: partition keys and bounds, storage parameters, replica identity, statistics targets, comments, domain defaults',
];

const MIB = 1024 * 1024;
const mib = (b: number) => `${(b / MIB).toFixed(1)} MiB`;
const LIST_MAX = 20;

export function reportScope(ctx: CheckContext, f: ScopeFacts): void {
  const { kept, left } = f.chosen;
  const schemas = [...new Set(kept.map((r) => r.schema))].sort();
  const count = (pred: (r: (typeof kept)[number]) => boolean) => kept.filter(pred).length;
  const compared = [
    `${count((r) => r.kind === 'r' && !r.unlogged)} tables (partitions counted one by one)`,
    `${count((r) => r.kind === 'r' && r.unlogged)} unlogged tables`,
    `${count((r) => r.kind === 'm')} materialised views`,
    `${f.seqs} sequences (last_value, is_called)`,
    f.withBlobs ? `${f.loCount ?? 0} large objects (count, oids and content)` : undefined,
    `${f.definitions} definitions (columns, constraints, indexes, triggers, rules, policies, views, functions, domains, enums, sequences; by meaning)`,
  ].filter((x): x is string => x !== undefined);
  const notCompared = [
    ...(left.length > 0 ? [`data of ${left.length} tables or views (${mib(f.chosen.leftBytes)}) dumped as definitions only: ${left.slice(0, LIST_MAX).map((l) => `${l.rel.schema}.${l.rel.name} (${l.why})`).join('; ')}${left.length > LIST_MAX ? `; and ${left.length - LIST_MAX} more` : ''}`] : []),
    ...(f.withBlobs ? [] : [`large objects (${f.loWhy}; left out of the dump)`]),
    ...f.uncompared.map((u) => `${u.n} ${u.why}`),
    ...NOT_COMPARED_KINDS,
  ];
  ctx.info('scope', {
    how: f.scope.how, schemas, ...(f.extensions.length > 0 ? { extensions: f.extensions } : {}), limit: f.scope.limitFrom, bytesCompared: f.chosen.keptBytes, bytesLeftOut: f.chosen.leftBytes,
    compared, notCompared, leftOut: left.slice(0, LIST_MAX).map((l) => ({ table: `${l.rel.schema}.${l.rel.name}`, bytes: l.rel.bytes, why: l.why })),
  });
  ctx.finding({
    severity: 'info', subject: 'scope',
    title: `scope: ${f.scope.how}: schemas ${schemas.join(', ') || '(none with tables)'}; compared ${compared.join(', ')} (${mib(f.chosen.keptBytes)})`,
    detail: `Not compared: ${notCompared.join('; ')}.`,
  });
  if (!f.withBlobs) {
    ctx.finding({
      severity: 'warn', subject: 'large objects', title: `large objects were left out of the dump and not compared: ${f.loWhy}`,
      recommendation: 'Connect as a role that may read them (their owner, or with SELECT granted on them), or raise config.backup.max_bytes.',
    });
  }
  if (left.length > 0) {
    ctx.finding({
      severity: 'warn', subject: 'scope',
      title: `${left.length} tables or views were dumped without data and not compared: ${mib(f.chosen.leftBytes)} beyond ${f.scope.limitFrom}`,
      detail: left.slice(0, LIST_MAX).map((l) => `${l.rel.schema}.${l.rel.name}: ${l.why}`).join('\n'),
      recommendation: 'Raise config.backup.max_bytes (and quick_max_bytes for quick runs) or run with --full against a replica or a copy, where reading every table is harmless.',
    });
  }
}
