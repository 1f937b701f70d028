// The scratch database a restore goes into: created with a random name from template0, always dropped (WITH FORCE) by the check's cleanup.
import { randomBytes } from 'node:crypto';
import { SkipCheck, errorKind } from '../../util/errors.js';
import { quoteIdent } from '../../workload/sql.js';
import type { CheckContext } from '../types.js';

export const SCRATCH_PREFIX = 'stackprobe_restore_';

/** The URL of another database on the same server, same credentials. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** Creates the scratch database; its DROP is registered first, so it runs even if CREATE's answer is lost. */
export async function createScratch(ctx: CheckContext): Promise<{ name: string; url: string }> {
  const pg = ctx.targets.pg!;
  const name = `${SCRATCH_PREFIX}${randomBytes(6).toString('hex')}`;
  ctx.defer(() => pg.admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`));
  try {
    await pg.admin.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`);
  } catch (err) {
    if (errorKind(err) === '42501') {
      throw new SkipCheck('the role may not create databases, and the round trip restores into a scratch database it creates and drops: ALTER ROLE <role> CREATEDB; (or run as a role that has it)');
    }
    throw err;
  }
  ctx.info('scratchDatabase', name);
  return { name, url: withDatabase(pg.url, name) };
}
