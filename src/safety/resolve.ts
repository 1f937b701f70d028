// From the names of a statement to every function that can run when it runs, through the target's catalog: functions
// by name (every candidate the name could resolve to), operators to their functions, casts and types to theirs, views
// and row-level policies to their recorded dependencies and their deparsed text, aggregates to their support functions,
// SQL function bodies through the parser again — until nothing new turns up.
import {
  DOMAIN_DEFINITIONS_SQL, FUNCTIONS_BY_NAME_SQL, FUNCTIONS_SQL, OPERATOR_DEPENDENCIES_SQL, OPERATORS_BY_NAME_SQL,
  RELATION_DEFINITIONS_SQL, RELATION_DEPENDENCIES_SQL, RELATIONS_BY_NAME_SQL, TYPE_DEPENDENCIES_SQL, TYPES_BY_NAME_SQL,
  USER_IMPLICIT_FUNCTIONS_SQL, type DefinitionRow, type DependencyRow, type FunctionRow,
} from './catalog-sql.js';
import { parseSql, whyNotReadTree, writeIn } from './parse.js';
import { collectRefs, emptyRefs, type Refs } from './walk.js';

/** Runs one of the read check's own catalog queries (read-only; the caller's session, so its role and search path). */
export type Querier = <T>(text: string, values: unknown[]) => Promise<T[]>;

export interface Resolved {
  /** Every function that may run, with how it was reached (for messages). */
  functions: Array<FunctionRow & { via: string }>;
  /** Function bodies and definitions that are not plain reads or that the parser refuses. */
  bodies: string[];
}

type Kind = 'pg_proc' | 'pg_operator' | 'pg_class' | 'pg_type';
const KINDS = new Set<string>(['pg_proc', 'pg_operator', 'pg_class', 'pg_type']);

/** A bound on rounds: each one follows one more level of views, bodies or casts; real schemas need a handful. */
const MAX_ROUNDS = 64;

class Worklist {
  readonly seen = new Map<string, string>();
  pending: Record<Kind, Map<string, string>> = { pg_proc: new Map(), pg_operator: new Map(), pg_class: new Map(), pg_type: new Map() };

  add(kind: string, oid: string, via: string): void {
    if (!KINDS.has(kind) || oid === '0') return;
    const key = `${kind}:${oid}`;
    if (this.seen.has(key)) return;
    this.seen.set(key, via);
    this.pending[kind as Kind].set(oid, via);
  }

  take(): Record<Kind, Map<string, string>> | null {
    const out = this.pending;
    if (Object.values(out).every((m) => m.size === 0)) return null;
    this.pending = { pg_proc: new Map(), pg_operator: new Map(), pg_class: new Map(), pg_type: new Map() };
    return out;
  }
}

/** Names to oids; `anywhere` for names inside a body, whose search path is not the session's for sure. */
async function byName(q: Querier, refs: Refs, anywhere: boolean, work: Worklist, via: string): Promise<void> {
  const cols = <T extends { schema: string | null; name: string }>(list: T[]) => [list.map((r) => r.schema), list.map((r) => r.name)];
  const flags = (n: number) => Array.from({ length: n }, () => anywhere);
  // One query at a time: a session runs one anyway, and node-postgres warns of queued ones.
  const fns = refs.functions.length ? await q<{ oid: string }>(FUNCTIONS_BY_NAME_SQL, [...cols(refs.functions), refs.functions.map((f) => f.attribute), flags(refs.functions.length)]) : [];
  const ops = refs.operators.length ? await q<{ oid: string }>(OPERATORS_BY_NAME_SQL, [...cols(refs.operators), flags(refs.operators.length)]) : [];
  const types = refs.types.length ? await q<{ oid: string }>(TYPES_BY_NAME_SQL, [...cols(refs.types), flags(refs.types.length)]) : [];
  const rels = refs.relations.length ? await q<{ oid: string }>(RELATIONS_BY_NAME_SQL, [...cols(refs.relations), flags(refs.relations.length)]) : [];
  for (const r of fns) work.add('pg_proc', r.oid, via);
  for (const r of ops) work.add('pg_operator', r.oid, via);
  for (const r of types) work.add('pg_type', r.oid, via);
  for (const r of rels) work.add('pg_class', r.oid, via);
}

/** How an object was reached: this step, then the steps before it. */
function describeVia(before: string, label: string): string {
  return before ? `${label}, ${before}` : label;
}

/** SQL text the server deparsed or stores (a view, a policy, a body): its names, or why it is refused. */
function refsOfText(sql: string, owner: string, bodies: string[], readOnly: boolean): Refs | null {
  const parsed = parseSql(sql);
  if (!parsed.ok) {
    bodies.push(`${owner}: could not be parsed (${parsed.why})`);
    return null;
  }
  const refs = emptyRefs();
  for (const stmt of parsed.stmts) {
    const why = readOnly ? whyNotReadTree(stmt) : writeIn(stmt) && `it holds a data-modifying ${writeIn(stmt)}`;
    if (why) bodies.push(`${owner}: not a plain read (${why})`);
    collectRefs(stmt, refs);
  }
  return refs;
}

class Resolver {
  readonly work = new Worklist();
  readonly functions: Resolved['functions'] = [];
  readonly bodies: string[] = [];
  constructor(private readonly q: Querier) {}

  private async deps(sql: string, oids: Map<string, string>, label: (name: string) => string): Promise<void> {
    if (oids.size === 0) return;
    for (const d of await this.q<DependencyRow>(sql, [[...oids.keys()]])) this.work.add(d.cls, d.oid, describeVia(oids.get(d.from) ?? '', label(d.label)));
  }

  /** Deparsed definitions: their names resolve in the session's search path, as the server qualified them for it. */
  private async definitions(sql: string, oids: Map<string, string>, label: (name: string) => string): Promise<void> {
    if (oids.size === 0) return;
    for (const d of await this.q<DefinitionRow>(sql, [[...oids.keys()]])) {
      const refs = refsOfText(d.sql, label(d.label), this.bodies, true);
      if (refs) await byName(this.q, refs, false, this.work, label(d.label));
    }
  }

  private async functionRows(oids: Map<string, string>): Promise<void> {
    const inBodies: Array<{ refs: Refs; via: string }> = [];
    for (const fn of await this.q<FunctionRow>(FUNCTIONS_SQL, [[...oids.keys()]])) {
      const via = oids.get(fn.oid) ?? '';
      this.functions.push({ ...fn, via });
      const inner = describeVia(via, `in the body of ${fn.signature}`);
      for (const s of fn.support) this.work.add('pg_proc', s, describeVia(via, `as a support function of aggregate ${fn.signature}`));
      for (const d of fn.deps) {
        const [cls, oid] = d.split(':');
        this.work.add(cls!, oid!, inner);
      }
      // A string body holds statements; a SQL-standard body comes as its whole CREATE FUNCTION, whose body is walked.
      const text = fn.src ?? fn.definition;
      if (text) {
        const refs = refsOfText(text, `the body of ${fn.signature}`, this.bodies, fn.src !== null);
        // Names inside a body are looked up in every schema: the function's own search_path (proconfig) may differ.
        if (refs) inBodies.push({ refs, via: inner });
      }
    }
    for (const b of inBodies) await byName(this.q, b.refs, true, this.work, b.via);
  }

  async run(refs: Refs): Promise<Resolved> {
    await byName(this.q, refs, false, this.work, '');
    for (const c of await this.q<{ oid: string; via: string }>(USER_IMPLICIT_FUNCTIONS_SQL, [])) this.work.add('pg_proc', c.oid, `through the ${c.via}`);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const next = this.work.take();
      if (!next) return { functions: this.functions, bodies: this.bodies };
      await this.deps(OPERATOR_DEPENDENCIES_SQL, next.pg_operator, (o) => `as the function of operator ${o}`);
      await this.deps(RELATION_DEPENDENCIES_SQL, next.pg_class, (c) => `through the view or policy of relation ${c}`);
      await this.definitions(RELATION_DEFINITIONS_SQL, next.pg_class, (c) => `through the view or policy of relation ${c}`);
      await this.deps(TYPE_DEPENDENCIES_SQL, next.pg_type, (t) => `through a cast, input function or constraint of type ${t}`);
      await this.definitions(DOMAIN_DEFINITIONS_SQL, next.pg_type, (t) => `through a constraint of domain ${t}`);
      if (next.pg_proc.size) await this.functionRows(next.pg_proc);
    }
    this.bodies.push(`more than ${MAX_ROUNDS} levels of views, function bodies and casts: not followed further`);
    return { functions: this.functions, bodies: this.bodies };
  }
}

/** Every function `refs` can make run. */
export function resolveRefs(q: Querier, refs: Refs): Promise<Resolved> {
  return new Resolver(q).run(refs);
}
