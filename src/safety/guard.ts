// The run's read guard: one per run (shared by every check; src/checks/user-sql.ts hands it to checks), it judges each distinct statement once on a session of the
// target (parser + catalog, check.ts) and, under --read-only on a server that is not stackprobe's own, the role once
// (role.ts). The measuring path never waits on it: checks call it before their first request.
import { whyNotSafeRead } from './check.js';
import type { Querier } from './resolve.js';
import { roleReport, type RoleReport } from './role.js';

/**
 * What the guard needs of a pool: a session lent out, run statements on, given back. The target's pools fit it; safety
 * sits below targets (docs/architecture.md), so it names its own.
 */
export interface GuardPool {
  connect(): Promise<{
    query(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
    release(err?: Error | boolean): void;
  }>;
}

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

  constructor(private readonly pool: GuardPool, readonly options: ReadGuardOptions) {}

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
