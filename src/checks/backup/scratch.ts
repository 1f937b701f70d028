// The scratch database a restore goes into: the source's encoding and locale, an owner marker, always dropped (WITH FORCE) by cleanup or by the next run.
import { randomBytes } from 'node:crypto';
import type { PgPool, PgSession } from '../../targets/pg/types.js';
import { SkipCheck, errorKind } from '../../util/errors.js';
import { quoteIdent } from '../../workload/sql.js';
import type { CheckContext } from '../types.js';
import { formatOwner, ownerIsGone, parseOwner, type Owner } from './owner.js';

export const SCRATCH_PREFIX = 'stackprobe_restore_';

/** A string literal that reads the same whatever standard_conforming_strings says (CREATE DATABASE takes no parameters). */
export function quoteLiteral(s: string): string {
  if (s.includes('\0')) throw new Error('an SQL literal cannot contain a NUL character');
  return `E'${s.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

export interface DatabaseLocale {
  encoding: string;
  /** `c` libc, `i` ICU, `b` builtin (17+). */
  provider: string;
  collate: string;
  ctype: string;
  /** The ICU or builtin locale (daticulocale before 17, datlocale from 17). */
  locale: string | null;
  icuRules: string | null;
}

/** Read through to_jsonb so the same query works whichever of the version-dependent columns exist. */
const LOCALE_SQL = `SELECT pg_encoding_to_char(d.encoding) AS encoding, to_jsonb(d) AS d FROM pg_database d WHERE d.datname = current_database()`;

export async function sourceLocale(db: PgSession): Promise<DatabaseLocale> {
  const row = (await db.query<{ encoding: string; d: Record<string, string | null> }>(LOCALE_SQL)).rows[0]!;
  const d = row.d;
  return {
    encoding: row.encoding, provider: d.datlocprovider ?? 'c', collate: d.datcollate ?? 'C', ctype: d.datctype ?? 'C',
    locale: d.datlocale ?? d.daticulocale ?? null, icuRules: d.daticurules ?? null,
  };
}

/** CREATE DATABASE for a copy with the source's encoding, provider, collation and ctype (template0 allows any of them). */
export function createDatabaseSql(name: string, l: DatabaseLocale): string {
  const parts = [`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0 ENCODING ${quoteLiteral(l.encoding)}`, `LC_COLLATE ${quoteLiteral(l.collate)} LC_CTYPE ${quoteLiteral(l.ctype)}`];
  if (l.provider === 'i') {
    parts.push(`LOCALE_PROVIDER icu ICU_LOCALE ${quoteLiteral(l.locale ?? 'und')}`);
    if (l.icuRules) parts.push(`ICU_RULES ${quoteLiteral(l.icuRules)}`);
  } else if (l.provider === 'b') {
    parts.push(`LOCALE_PROVIDER builtin BUILTIN_LOCALE ${quoteLiteral(l.locale ?? 'C')}`);
  }
  return parts.join(' ');
}

/** Creates the scratch database and marks its owner; its DROP is registered first, so it runs even if CREATE's answer is lost. */
export async function createScratch(ctx: CheckContext, locale: DatabaseLocale, owner: Owner): Promise<{ name: string }> {
  const pg = ctx.targets.pg!;
  const name = `${SCRATCH_PREFIX}${randomBytes(6).toString('hex')}`;
  ctx.defer(() => pg.admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
  try {
    await pg.admin.query(createDatabaseSql(name, locale));
  } catch (err) {
    if (errorKind(err) === '42501') {
      throw new SkipCheck('the role may not create databases, and the round trip restores into a scratch database it creates and drops: ALTER ROLE <role> CREATEDB; (or run as a role that has it)');
    }
    throw err;
  }
  // The marker lets the next run drop this copy if this process is killed before its cleanup runs.
  await pg.admin.query(`COMMENT ON DATABASE ${quoteIdent(name)} IS ${quoteLiteral(formatOwner(owner))}`);
  ctx.info('scratchDatabase', name);
  return { name };
}

/**
 * Drops scratch databases whose marked owner process is gone (a run killed outright). One this role may not drop
 * (another role's run made it) is reported, not fatal: it is not this run's to judge.
 */
export async function reapScratch(admin: PgPool): Promise<{ reaped: string[]; failed: string[] }> {
  const rows = (await admin.query<{ name: string; comment: string | null }>(
    `SELECT datname AS name, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE starts_with(datname, $1)`, [SCRATCH_PREFIX],
  )).rows;
  const reaped: string[] = [];
  const failed: string[] = [];
  for (const r of rows) {
    const owner = parseOwner(r.comment);
    if (!owner || !(await ownerIsGone(owner))) continue;
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(r.name)} WITH (FORCE)`);
      reaped.push(r.name);
    } catch (err) {
      failed.push(`${r.name}: ${(err as Error).message}`);
    }
  }
  return { reaped, failed };
}
