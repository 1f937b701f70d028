// Decides whether a definition the restore prints differently means the same: the source's form is re-created on the restored copy (in a transaction that is rolled back), so both forms have been through one parse and deparse on the same server before they are compared.
import { randomBytes } from 'node:crypto';
import { isServerError, type PgQuery, type PgSession } from '../../targets/pg/types.js';
import { qualified, quoteIdent } from '../../workload/sql.js';
import { defKey, POLICY_CLAUSES, type Definition, type DefinitionDiff, type Definitions } from './definitions.js';

/**
 * Names of what the re-creations make (a throwaway schema inside the rolled-back transaction that holds empty table
 * copies, domains and views; a renamed index; an added column and constraint), random so no restored name collides.
 */
interface Names {
  schema: string;
  copy: string;
  tmp: string;
}

function names(): Names {
  const tmp = `stackprobe_norm_${randomBytes(6).toString('hex')}`;
  return { schema: tmp, copy: `${tmp}.c`, tmp };
}

/**
 * One statement, through the extended protocol: the server refuses a text holding several, so a definition's printout
 * can never run as more than the one CREATE it is.
 */
async function one(db: PgSession, text: string, values: unknown[] = []): Promise<string | null> {
  const q: PgQuery & { queryMode: 'extended' } = { text, values, queryMode: 'extended' };
  const r = await db.query<{ d: string | null }>(q);
  return r.rows[0]?.d ?? null;
}

type Reprint = (db: PgSession) => Promise<string | null>;

/** The restored copy lacks what a re-creation needs (found by a catalog lookup, not by a server error). */
class NotApplicable extends Error {}

const COPY_DEFAULT = `SELECT pg_get_expr(d.adbin, d.adrelid) AS d FROM pg_attrdef d JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
  WHERE d.adrelid = $1::regclass AND a.attname = $2`;
const BY_NAME = {
  index: `SELECT pg_get_indexdef(c.oid) AS d FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('i', 'I')`,
  trigger: `SELECT pg_get_triggerdef(t.oid) AS d FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = $1 AND c.relname = $2 AND t.tgname = $3`,
  rule: `SELECT pg_get_ruledef(r.oid) AS d FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = $1 AND c.relname = $2 AND r.rulename = $3`,
  function: `SELECT pg_get_functiondef(p.oid) AS d FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = $1 AND p.proname = $2 AND pg_get_function_identity_arguments(p.oid) = $3`,
  constraint: `SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE conrelid = $1::regclass AND conname = $2`,
  domainConstraint: `SELECT pg_get_constraintdef(oid) AS d FROM pg_constraint WHERE contypid = $1::regtype AND conname = $2`,
  policy: `SELECT ${POLICY_CLAUSES} AS d FROM pg_policy po WHERE po.polrelid = $1::regclass AND po.polname = $2`,
};

/** An empty table with the restored relation's columns (names, types, collations): the context a column expression or constraint is parsed in. */
const emptyCopy = (db: PgSession, n: Names, d: Definition) => one(db, `CREATE TABLE ${n.copy} (LIKE ${qualified(d.schema, d.rel!)})`);

/** A column's default or generation expression, set on an empty copy of its restored table. */
function column(d: Definition, body: string, n: Names): Reprint {
  return async (db) => {
    await emptyCopy(db, n, d);
    if (d.flag !== 'generated') {
      await one(db, `ALTER TABLE ${n.copy} ALTER COLUMN ${quoteIdent(d.member!)} SET DEFAULT (${body})`);
      return one(db, COPY_DEFAULT, [n.copy, d.member]);
    }
    const type = await one(db, `SELECT format_type(atttypid, atttypmod) AS d FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2`, [n.copy, d.member]);
    if (type === null) throw new NotApplicable(`the restored ${qualified(d.schema, d.rel!)} has no column ${quoteIdent(d.member!)}`);
    await one(db, `ALTER TABLE ${n.copy} ADD COLUMN ${n.tmp} ${type} GENERATED ALWAYS AS (${body}) STORED`);
    return one(db, COPY_DEFAULT, [n.copy, n.tmp]);
  };
}

/** A table's constraint added to an empty copy of its table; a domain's to a new domain over the same base type. */
function constraint(d: Definition, body: string, n: Names): Reprint | undefined {
  if (d.flag === 'trigger') return undefined;
  if (d.flag === 'domain') {
    return async (db) => {
      const base = await one(db, `SELECT format_type(t.typbasetype, t.typtypmod) AS d FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = $1 AND t.typname = $2 AND t.typtype = 'd'`, [d.schema, d.rel]);
      if (base === null) throw new NotApplicable(`the restored copy has no domain ${qualified(d.schema, d.rel!)}`);
      const domain = `${n.schema}.d`;
      await one(db, `CREATE DOMAIN ${domain} AS ${base}`);
      await one(db, `ALTER DOMAIN ${domain} ADD CONSTRAINT ${n.tmp} ${body}`);
      return one(db, BY_NAME.domainConstraint, [domain, n.tmp]);
    };
  }
  return async (db) => {
    await emptyCopy(db, n, d);
    await one(db, `ALTER TABLE ${n.copy} ADD CONSTRAINT ${n.tmp} ${body}`);
    return one(db, BY_NAME.constraint, [n.copy, n.tmp]);
  };
}

const POLICY_COMMAND: Record<string, string> = { r: 'SELECT', a: 'INSERT', w: 'UPDATE', d: 'DELETE', '*': 'ALL' };

/** A policy's clauses on an empty copy of its table, for the same command (roles and kind are compared as printed). */
function policy(d: Definition, body: string, n: Names): Reprint | undefined {
  const command = POLICY_COMMAND[d.flag ?? ''];
  if (!command) return undefined;
  return async (db) => {
    await emptyCopy(db, n, d);
    await one(db, `CREATE POLICY ${n.tmp} ON ${n.copy} FOR ${command} ${body}`);
    return one(db, BY_NAME.policy, [n.copy, n.tmp]);
  };
}

/** The trigger whose CREATE makes this one: itself, or the topmost parent of a partition's clone (undefined when out of scope). */
function rootTrigger(d: Definition, side: Definitions): Definition | undefined {
  let t: Definition | undefined = d;
  for (let hops = 0; t?.flag && hops < 100; hops++) t = side.get(defKey({ kind: 'trigger', name: t.flag }));
  return t;
}

/**
 * How to print `body` (one side's form of `d`) again on the restored copy. Indexes, triggers, rules and functions are
 * re-created in place (the restored one renamed or dropped first) by the very statement pg_dump would replay; column
 * expressions, constraints and policies on empty copies of their tables; views as new views. Undefined: no way (then
 * the printouts are compared as they are).
 */
function reprinter(d: Definition, body: string, side: Definitions, n: Names): Reprint | undefined {
  switch (d.kind) {
    case 'column':
      return column(d, body, n);
    case 'constraint':
      return constraint(d, body, n);
    case 'policy':
      return policy(d, body, n);
    case 'index':
      return async (db) => {
        await one(db, `ALTER INDEX ${qualified(d.schema, d.member!)} RENAME TO ${n.tmp}`);
        await one(db, body);
        return one(db, BY_NAME.index, [d.schema, d.member]);
      };
    case 'trigger': {
      const root = rootTrigger(d, side);
      if (!root?.body) return undefined;
      return async (db) => {
        await one(db, `DROP TRIGGER ${quoteIdent(root.member!)} ON ${qualified(root.schema, root.rel!)}`);
        await one(db, root === d ? body : root.body!);
        return one(db, BY_NAME.trigger, [d.schema, d.rel, d.member]);
      };
    }
    case 'rule':
      return async (db) => {
        await one(db, `DROP RULE ${quoteIdent(d.member!)} ON ${qualified(d.schema, d.rel!)}`);
        await one(db, body);
        return one(db, BY_NAME.rule, [d.schema, d.rel, d.member]);
      };
    case 'view':
    case 'materialised view':
      return async (db) => {
        await one(db, `CREATE VIEW ${n.schema}.v AS ${body}`);
        return one(db, `SELECT pg_get_viewdef($1::regclass) AS d`, [`${n.schema}.v`]);
      };
    case 'function':
      return async (db) => {
        await one(db, body);
        return one(db, BY_NAME.function, [d.schema, d.member, d.args]);
      };
    default:
      return undefined;
  }
}

/**
 * SQLSTATE classes that say nothing about the definition: the session, the server or its resources failed (a timeout,
 * a cancel, a lost connection, a lock, no memory or disk). Those end the check with their reason instead.
 */
const NOT_ABOUT_THE_DEFINITION = ['08', '40', '53', '54', '55', '57', '58', 'XX'];

/** Runs a reprint and undoes it; an error of the form itself (it does not apply to the restored copy) is a value, anything else is thrown. */
async function attempt(db: PgSession, fn: Reprint): Promise<{ text: string | null } | { error: string }> {
  await db.query('SAVEPOINT stackprobe_norm');
  try {
    return { text: await fn(db) };
  } catch (err) {
    const aboutTheForm = err instanceof NotApplicable || (isServerError(err) && !NOT_ABOUT_THE_DEFINITION.includes((err.code ?? 'XX').slice(0, 2)));
    if (!aboutTheForm) throw err;
    return { error: (err as Error).message };
  } finally {
    await db.query('ROLLBACK TO SAVEPOINT stackprobe_norm');
  }
}

/** Undefined when the two mean the same; otherwise the diff with the two forms as compared. */
async function settleOne(db: PgSession, n: Names, s: Definition, r: Definition, source: Definitions, restored: Definitions): Promise<DefinitionDiff | undefined> {
  const differs = (a: string | null, b: string | null, why?: string): DefinitionDiff => ({ kind: s.kind, name: s.name, what: 'differs', source: a ?? '(none)', restored: b ?? '(none)', ...(why ? { why } : {}) });
  if (s.fixed !== r.fixed) return differs(s.fixed, r.fixed);
  if (s.body === r.body) return undefined;
  if (s.body === null || r.body === null) return differs(s.body, r.body);
  const sourceStep = reprinter(s, s.body, source, n);
  if (!sourceStep) return differs(s.body, r.body, `a ${s.kind} of this sort cannot be re-created on the restored copy, so the printouts were compared as they are`);
  const ns = await attempt(db, sourceStep);
  if ('error' in ns) return differs(s.body, r.body, `the source's form does not apply to the restored copy: ${ns.error}`);
  if (ns.text === r.body) return undefined;
  // The restored form through the same re-creation: both have now been parsed and printed the same way.
  const restoredStep = reprinter(r, r.body, restored, n);
  const nr = restoredStep ? await attempt(db, restoredStep) : undefined;
  if (nr && 'text' in nr && nr.text === ns.text) return undefined;
  return differs(ns.text, nr && 'text' in nr ? nr.text : r.body);
}

export interface Settled {
  /** Definitions that differ in meaning. */
  diffs: DefinitionDiff[];
  /** Definitions the restore prints differently that mean the same. */
  sameMeaning: string[];
}

/**
 * Settles the candidates (keys printed differently on the two sides) on the restored copy's session, in one
 * transaction that is rolled back: nothing of the re-creations stays.
 */
export async function settle(db: PgSession, source: Definitions, restored: Definitions, candidates: string[], signal: AbortSignal): Promise<Settled> {
  const out: Settled = { diffs: [], sameMeaning: [] };
  if (candidates.length === 0) return out;
  await db.query('BEGIN');
  try {
    // As in pg_dump's own scripts: a function body is not checked against objects at CREATE time.
    await db.query(`SET LOCAL check_function_bodies = off`);
    const n = names();
    await db.query(`CREATE SCHEMA ${n.schema}`);
    for (const k of candidates) {
      signal.throwIfAborted();
      const s = source.get(k)!;
      const diff = await settleOne(db, n, s, restored.get(k)!, source, restored);
      if (diff) out.diffs.push(diff);
      else out.sameMeaning.push(`${s.kind} ${s.name}`);
    }
  } finally {
    // On abort the session is being ended and the scratch database dropped: a ROLLBACK would only fail and hide why.
    if (!signal.aborted) await db.query('ROLLBACK');
  }
  return out;
}
