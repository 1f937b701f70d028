// What a check does before it runs any of the user's SQL: the run's read guard (src/safety/guard.ts) asked, through the
// check's context, about the role and each statement; a refusal fails the check with the reason and the SQL to fix it.
import { NotAReadStatementError, PrivilegedRoleError } from '../safety/errors.js';
import { ReadGuard } from '../safety/guard.js';
import type { RoleReport } from '../safety/role.js';
import type { CheckContext } from './types.js';

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
