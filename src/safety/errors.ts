// The read guarantee's refusals, as error kinds: a statement that is not a safe read, and a role that could write.
import type { RoleReport } from './role.js';

/** User SQL that is not one read statement, or may run a function that acts outside the transaction; nothing was sent. */
export class NotAReadStatementError extends Error {
  override name = 'NotAReadStatementError';
}

/** Under --read-only, the role user SQL would run as could write or act outside the transaction. */
export class PrivilegedRoleError extends Error {
  override name = 'PrivilegedRoleError';
  constructor(readonly report: RoleReport) {
    super(`the role ${report.role} could write or act outside a read-only transaction (${report.capabilities.map((c) => c.what).join('; ')}): under --read-only your SQL runs only as a role that cannot (the SQL to create one is in the finding), or with --allow-privileged-role`);
  }
}
