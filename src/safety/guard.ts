// The run's read guard: one per run (shared by every check), it judges each distinct statement once on a session of the
// target (parser + catalog, check.ts) and, under --read-only on a server that is not stackprobe's own, the role once
// (role.ts). The measuring path never waits on it: checks call it before their first request.
import type pg from 'pg';
import type { CheckContext } from '../checks/types.js';
import { whyNotSafeRead } from './check.js';
import { NotAReadStatementError, PrivilegedRoleError } from './errors.js';
import type { Querier } from './resolve.js';
import { roleReport, type RoleReport } from './role.js';

export interface ReadGuardOptions {
  /** Check the role before any user SQL (--read-only against a server stackprobe did not start). */
  leastPrivilege: boolean;
  /** --allow-privileged-role / allow_privileged_role: a privileged role is reported, not refused. */
  allowPrivileged: boolean;
  timeoutMs: number;
}

/**
 * Marks the guard's catalog queries as stackprobe's own in pg_stat_statements, which keeps comments: load.replay never
 * takes them for the application's (replay-select.ts leaves out statements naming stackprobe.).
 */
const OWN_MARK = '/* stackprobe.safety */ ';

/** A role name for SET ROLE, quoted as an identifier. */
const quoteRole = (role: string) => `"${role.replaceAll('"', '""')}"`;

export class ReadGuard {
  private readonly verdicts = new Map<string, Promise<string | null>>();
  private readonly roles = new Map<string, Promise<RoleReport>>();

  constructor(private readonly pool: Pick<pg.Pool, 'connect'>, readonly options: ReadGuardOptions) {}

  /**
   * Runs `fn` on a pooled session of the target in a READ ONLY transaction that is rolled back, as `role` when given
   * (SET LOCAL ROLE, so the names resolve as they do for that role: its search path, its privileges).
   */
  private async session<T>(role: string | undefined, fn: (q: Querier) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let failed: Error | undefined;
    try {
      await client.query(`BEGIN TRANSACTION READ ONLY; SET LOCAL statement_timeout = ${Math.max(1, Math.round(this.options.timeoutMs))}`);
      if (role !== undefined) await client.query(`SET LOCAL ROLE ${quoteRole(role)}`);
      return await fn(async <R>(text: string, values: unknown[]) => (await client.query(`${OWN_MARK}${text}`, values)).rows as R[]);
    } catch (err) {
      failed = err as Error;
      throw err;
    } finally {
      // A session whose transaction failed, or whose ROLLBACK did, is not handed back: it is closed, and its
      // transaction with it (the answer, read in a transaction that changed nothing, stands).
      if (!failed) await client.query('ROLLBACK').catch((err: Error) => void (failed = err));
      client.release(failed ?? undefined);
    }
  }

  /**
   * Why `sql` may not run as a read (as `role`, or the target's own; `write`: see whyNotSafeRead), or null; once per
   * statement and role. Throws the server's error when the session may not SET ROLE to `role` (42501).
   */
  whyNot(sql: string, opts: { role?: string | undefined; write?: boolean } = {}): Promise<string | null> {
    const key = `${opts.role ?? ''}\u0000${opts.write ? 'w' : 'r'}\u0000${sql}`;
    return this.once(this.verdicts, key, () => this.session(opts.role, (q) => whyNotSafeRead(q, sql, { write: opts.write ?? false })));
  }

  /** What `role` (or the target's own role) can do beyond reading; once per role. */
  role(role?: string): Promise<RoleReport> {
    return this.once(this.roles, role ?? '', () => this.session(role, roleReport));
  }

  /** The role's report when it must be refused: privileged, checked, and not allowed by the operator. */
  async refusedRole(role?: string): Promise<RoleReport | null> {
    if (!this.options.leastPrivilege) return null;
    const report = await this.role(role);
    return report.capabilities.length > 0 && !this.options.allowPrivileged ? report : null;
  }

  /** A failed look-up (a lost session) is not remembered: the next caller asks again. */
  private once<T>(cache: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
    let p = cache.get(key);
    if (!p) {
      p = make();
      cache.set(key, p);
      p.catch(() => cache.delete(key));
    }
    return p;
  }
}

/** The run's guard (made on first use from the target's admin pool). */
export function readGuard(ctx: CheckContext): Promise<ReadGuard> {
  const pg = ctx.targets.pg!;
  return ctx.shared('safety.read-guard', async () => new ReadGuard(pg.admin, {
    // stackprobe's own private server holds nothing of the user's: its role is not the user's to restrict.
    leastPrivilege: ctx.readOnly && !pg.facts.private,
    allowPrivileged: ctx.config.allow_privileged_role,
    timeoutMs: pg.timeouts.operationMs,
  }));
}

/** Records, on the check, that user SQL ran as a privileged role because the operator allowed it. */
function reportAllowed(ctx: CheckContext, report: RoleReport): void {
  ctx.info('privileged_role', { role: report.role, capabilities: report.capabilities.map((c) => c.what), allowedBy: '--allow-privileged-role' });
  ctx.finding({
    severity: 'warn', subject: 'read-only',
    title: `your SQL ran as ${report.role}, which could write or act outside the transaction (allowed by --allow-privileged-role)`,
    detail: report.capabilities.map((c) => c.what).join('; '),
    recommendation: `Run --read-only as a role that cannot:\n${report.leastPrivilegeSql}`,
  });
}

/**
 * Under --read-only on a server stackprobe did not start: the role user SQL runs as must not be able to write or act
 * outside the transaction. Throws PrivilegedRoleError, with a finding holding the SQL for a role that cannot, so the check
 * that would have run user SQL fails with the reason (the rest of the run goes on: only user SQL needs the guarantee).
 */
export async function assertRole(ctx: CheckContext): Promise<void> {
  const guard = await readGuard(ctx);
  if (!guard.options.leastPrivilege) return;
  const report = await guard.role();
  if (report.capabilities.length === 0) return;
  if (guard.options.allowPrivileged) {
    reportAllowed(ctx, report);
    return;
  }
  ctx.finding({
    severity: 'error', subject: 'read-only',
    title: `not run: under --read-only your SQL runs only as a role that cannot write or act outside the transaction, and ${report.role} can`,
    detail: report.capabilities.map((c) => c.what).join('; '),
    recommendation: `Create such a role and put it in DATABASE_URL (or pass --allow-privileged-role to accept this one):\n${report.leastPrivilegeSql}`,
    data: { role: report.role, capabilities: report.capabilities.map((c) => c.what), sql: report.leastPrivilegeSql },
  });
  throw new PrivilegedRoleError(report);
}

/**
 * Before a check runs any user SQL: the role (assertRole), then each statement on the target's catalog. Throws
 * NotAReadStatementError naming `where` and the refused functions, so the check fails and nothing of the user's was sent.
 */
export async function assertUserSql(ctx: CheckContext, statements: Array<{ sql: string; where: string }>): Promise<void> {
  if (statements.length === 0) return;
  await assertRole(ctx);
  const guard = await readGuard(ctx);
  for (const s of statements) {
    const why = await guard.whyNot(s.sql);
    if (why) throw new NotAReadStatementError(`${s.where}: not run: ${why}`);
  }
}
