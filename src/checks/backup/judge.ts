// Compares the source's fingerprints with the restore's, object kind by object kind, and records mismatches as error findings (and what pg_dump leaves out on purpose as warnings).
import type { CheckContext } from '../types.js';
import { key, type Fingerprint } from './compare.js';
import { contrast } from './contrast.js';
import type { DefinitionDiff } from './definitions.js';
import type { Relation } from './scope.js';
import { DEFINITIONS_COMPARED, LARGE_OBJECTS_COMPARED, LEFT_OUT_BY_DESIGN, MATVIEWS_COMPARED, OBJECTS_NOT_COMPARED, RESTORE_MISMATCHES, ROWS_COMPARED, SEQUENCES_COMPARED, TABLES_COMPARED } from './metrics.js';

export interface SourceSide {
  rels: Map<string, Fingerprint>;
  /** Sequence positions read just before and just after pg_dump (sequences are not transactional). */
  seqs: Map<string, Fingerprint>;
  seqAfter: Map<string, Fingerprint>;
  lo: Fingerprint | undefined;
  /** Each populated materialised view's defining query, run in the dump's snapshot. */
  mvQuery: Map<string, Fingerprint>;
}

export interface RestoredSide {
  rels: Map<string, Fingerprint>;
  seqs: Map<string, Fingerprint>;
  lo: Fingerprint | undefined;
}

const RECOMMEND = 'Run pg_restore by hand with the same archive and read its messages; then compare the object named here between the source and the restored copy.';

/** `123` or `123 (not called)` as a number line position: a not-called sequence sits just before its last_value. */
function seqPos(f: Fingerprint): { value: bigint; called: boolean } | undefined {
  const m = /^(-?\d+)( \(not called\))?$/.exec(f.sum ?? '');
  return m ? { value: BigInt(m[1]!), called: !m[2] } : undefined;
}

/**
 * A restored position is right when it equals the position before the dump, or — when the application advanced the
 * sequence while pg_dump ran — lies between the positions before and after (pg_dump reads it at one moment in between).
 */
export function sequenceRestoredRight(before: Fingerprint, after: Fingerprint | undefined, restored: Fingerprint | undefined): boolean {
  if (!restored) return false;
  if (restored.sum === before.sum || restored.sum === after?.sum) return true;
  if (!after || after.sum === before.sum) return false;
  const [b, a, r] = [seqPos(before), after && seqPos(after), seqPos(restored)];
  if (!b || !a || !r || !r.called) return false;
  const [lo, hi] = b.value <= a.value ? [b.value, a.value] : [a.value, b.value];
  return r.value >= lo && r.value <= hi;
}

function mismatch(ctx: CheckContext, kind: string, subject: string, title: string, data: Record<string, unknown>): void {
  ctx.finding({
    severity: 'error', subject, title,
    detail: `The dump did not bring this ${kind} back as it was: a restore from such a backup would lose or change data.`,
    recommendation: RECOMMEND, data: { kind, ...data },
  });
}

function describeDiff(s: Fingerprint, r: Fingerprint): string {
  return `${s.rows} rows → ${r.rows}${s.sum !== r.sum ? ', content checksum differs' : ''}`;
}

function judgeRelations(ctx: CheckContext, src: SourceSide, dst: RestoredSide, kept: Relation[]): number {
  let bad = 0;
  for (const rel of kept) {
    const k = key(rel);
    const kind = rel.kind === 'm' ? 'materialised view' : rel.unlogged ? 'unlogged table' : 'table';
    const s = src.rels.get(k)!;
    const r = dst.rels.get(k);
    if (!r) {
      bad++;
      mismatch(ctx, kind, k, `restored database lacks ${kind} ${k}`, { source: s, restored: null });
      continue;
    }
    if (r.rows === s.rows && r.sum === s.sum) continue;
    // A restore refreshes a materialised view from its query; a source view that is stale differs without any loss.
    const now = src.mvQuery.get(k);
    if (rel.kind === 'm' && now) {
      if (now.rows === r.rows && now.sum === r.sum) {
        ctx.finding({ severity: 'info', subject: k, title: `materialised view ${k} is stale on the source: the restore refreshed it and equals its query at dump time (${s.rows} rows stored → ${r.rows})`, data: { kind, source: s, query: now, restored: r } });
        continue;
      }
    }
    bad++;
    mismatch(ctx, kind, k, `restored ${kind} ${k} differs from the source (${describeDiff(s, r)})`, { source: s, restored: r });
  }
  return bad;
}

function judgeSequences(ctx: CheckContext, src: SourceSide, dst: RestoredSide): { bad: number; unread: number } {
  let bad = 0;
  let unread = 0;
  for (const [k, before] of src.seqs) {
    if (before.sum === null) {
      unread++;
      ctx.finding({ severity: 'warn', subject: k, title: `sequence ${k} was not compared: no SELECT privilege on it`, recommendation: `GRANT SELECT ON SEQUENCE ${k} to the role stackprobe connects as, or accept that its position is unchecked.` });
      continue;
    }
    const r = dst.seqs.get(k);
    if (sequenceRestoredRight(before, src.seqAfter.get(k), r)) continue;
    bad++;
    mismatch(ctx, 'sequence', k, r ? `restored sequence ${k} is at ${r.sum ?? '?'}, the source at ${before.sum}` : `restored database lacks sequence ${k}`, { source: before, restored: r ?? null });
  }
  return { bad, unread };
}

function judgeLargeObjects(ctx: CheckContext, src: SourceSide, dst: RestoredSide): number {
  if (!src.lo || !dst.lo) return 0;
  if (src.lo.rows === dst.lo.rows && src.lo.sum === dst.lo.sum) return 0;
  mismatch(ctx, 'large objects', 'large objects', `restored large objects differ from the source (${src.lo.rows} objects → ${dst.lo.rows}${src.lo.sum !== dst.lo.sum ? ', content checksum differs' : ''})`, { source: src.lo, restored: dst.lo });
  return 1;
}

const DEFINITION_LIMIT = 50;
const LIST_MAX = 5;

const DEFINITION_DETAIL = {
  differs: 'They differ in meaning, not only in spelling (a form the restore prints differently is first re-created from the source\'s on the restored copy, so both have been parsed by this server): a database restored from this backup would behave differently here.',
  missing: 'The dump did not bring it back: a database restored from this backup would lack it.',
  extra: 'The restore made an object the source does not have.',
};

/** pg_dump skips an invalid index on purpose: the copy lacks an index the source never used, which is advice, not a broken backup. */
function leftOutFinding(ctx: CheckContext, d: DefinitionDiff): void {
  ctx.finding({
    severity: 'warn', subject: d.name,
    title: `index ${d.name} is invalid on the source, and pg_dump leaves invalid indexes out by design: the restore does not have it`,
    detail: 'An index is left invalid by a CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY that failed (e.g. on duplicate keys of a unique index) or was cancelled. The source keeps updating it on every write but never uses it for queries.',
    recommendation: `Rebuild it with REINDEX INDEX CONCURRENTLY ${d.name}; (for a unique index, remove the duplicate keys first), or drop it if nothing needs it: DROP INDEX CONCURRENTLY ${d.name};`,
    data: { kind: d.kind, what: d.what },
  });
}

function definitionTitle(d: DefinitionDiff): string {
  if (d.what === 'missing') return `restored database lacks ${d.kind} ${d.name}`;
  if (d.what === 'extra') return `restored database has ${d.kind} ${d.name}, which the source lacks`;
  const c = contrast(d.source ?? '', d.restored ?? '');
  return `restored ${d.kind} ${d.name} is defined differently from the source: ${c.source} → ${c.restored}`;
}

/** Returns the number of definitions that differ in meaning, and of those pg_dump leaves out on purpose. */
function judgeDefinitions(ctx: CheckContext, diffs: DefinitionDiff[], sameMeaning: string[]): { bad: number; byDesign: number } {
  const byDesign = diffs.filter((d) => d.what === 'left out by design');
  for (const d of byDesign) leftOutFinding(ctx, d);
  const real = diffs.filter((d) => d.what !== 'left out by design');
  for (const d of real.slice(0, DEFINITION_LIMIT)) {
    const what = d.what as keyof typeof DEFINITION_DETAIL;
    ctx.finding({
      severity: 'error', subject: d.name, title: definitionTitle(d),
      detail: [d.why ? `Compared as printed: ${d.why}.` : DEFINITION_DETAIL[what], d.source !== undefined ? `Source: ${d.source}\nRestored: ${d.restored}` : undefined].filter(Boolean).join('\n'),
      recommendation: RECOMMEND, data: { kind: d.kind, what: d.what, ...(d.source !== undefined ? { source: d.source, restored: d.restored } : {}) },
    });
  }
  if (real.length > DEFINITION_LIMIT) ctx.finding({ severity: 'error', subject: 'definitions', title: `and ${real.length - DEFINITION_LIMIT} more definitions differ` });
  if (sameMeaning.length > 0) {
    ctx.finding({
      severity: 'info', subject: 'definitions',
      title: `${sameMeaning.length} definitions print differently after the restore but mean the same (both forms re-parsed by this server): ${sameMeaning.slice(0, LIST_MAX).join(', ')}${sameMeaning.length > LIST_MAX ? ', …' : ''}`,
    });
  }
  return { bad: real.length, byDesign: byDesign.length };
}

/** Records every mismatch and the compared counts; returns the number of mismatched objects. */
export function judge(ctx: CheckContext, src: SourceSide, dst: RestoredSide, kept: Relation[], defs: { compared: number; diffs: DefinitionDiff[]; sameMeaning: string[] }): number {
  const d = judgeDefinitions(ctx, defs.diffs, defs.sameMeaning);
  const bad = judgeRelations(ctx, src, dst, kept) + d.bad;
  ctx.metrics.counter(DEFINITIONS_COMPARED).add(defs.compared - d.byDesign);
  ctx.metrics.counter(LEFT_OUT_BY_DESIGN).add(d.byDesign);
  const seq = judgeSequences(ctx, src, dst);
  const lo = judgeLargeObjects(ctx, src, dst);
  const m = ctx.metrics;
  m.counter(TABLES_COMPARED).add(kept.filter((r) => r.kind === 'r').length);
  m.counter(MATVIEWS_COMPARED).add(kept.filter((r) => r.kind === 'm').length);
  m.counter(SEQUENCES_COMPARED).add(src.seqs.size - seq.unread);
  m.counter(LARGE_OBJECTS_COMPARED).add(src.lo?.rows ?? 0);
  m.counter(ROWS_COMPARED).add([...src.rels.values()].reduce((s, f) => s + Math.max(f.rows, 0), 0));
  m.counter(OBJECTS_NOT_COMPARED).add(seq.unread);
  m.counter(RESTORE_MISMATCHES).add(bad + seq.bad + lo);
  return bad + seq.bad + lo;
}
