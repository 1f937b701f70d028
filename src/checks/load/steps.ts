// The step kinds a simulated request is made of, each talking to one service: PostgreSQL reads/writes, Redis, Celery.
import { createHash } from 'node:crypto';
import { promiseOf, type Ended } from '../../exec/ended.js';
import type { CeleryTarget } from '../../targets/celery/target.js';
import { getHit, setEx, unlink, type RedisCaller } from '../../targets/redis/wire/commands.js';
import type { ReconnectingWire } from '../../targets/redis/wire/reconnecting.js';
import { NotAReadStatementError } from '../../targets/pg/read-only.js';
import type { SessionPool } from '../../targets/pg/wire/pool.js';
import type { MeasureSession } from '../../targets/pg/wire/session.js';
import { whyNotReadStatement } from '../../safety/parse.js';
import { BASIC_QUERIES, FINANCIAL_QUERIES, type WorkloadQuery } from '../../workload/queries.js';
import type { Rng } from '../../workload/prng.js';
import type { WorkloadPlan } from '../../workload/plan.js';
import type { Workload } from '../../workload/types.js';

export type StepKind = 'pg_read' | 'pg_write' | 'cache_get' | 'cache_set' | 'cache_del' | 'task_submit' | 'custom' | `replay:${string}`;

/** What the steps run against; any service may be absent (its steps are then left out of the scenario). */
export interface StepServices {
  /** The load's measuring sessions (src/targets/pg/wire): one round trip per statement. */
  pool: SessionPool;
  /** Read-only measuring sessions for the user's own SQL (load.custom); present when there is any. */
  readPool?: SessionPool;
  /** Server-side bound of one user statement (load.request_timeout_ms). */
  statementTimeoutMs?: number;
  plan: WorkloadPlan;
  /** The accounts this segment's inserts go to (its own key range): segments sharing one schema never write the same account. */
  writeAccounts?: { from: number; to: number };
  /** The measuring path's connection (src/targets/redis/wire), reconnected after a loss. */
  redis?: ReconnectingWire;
  /** This run's Redis namespace: every key written starts with it and carries a TTL. */
  keyPrefix?: string;
  celery?: Pick<CeleryTarget, 'send' | 'forget'>;
  task?: { name: string; queue: string; tidy: TaskTidy };
}

/** Timing hook: every step reports its own latency and outcome under its kind. */
export type StepTimer = <T>(kind: StepKind, run: () => Promise<T>) => Promise<T>;

/** The timing hook of steps on callbacks: a step that began at `t0` (performance.now()) has ended, failed when `err` is given. */
export interface StepClock {
  stepEnded(step: StepKind, t0: number, err?: unknown): void;
}

const byName = (name: string): WorkloadQuery => [...BASIC_QUERIES, ...FINANCIAL_QUERIES].find((q) => q.name === name)!;

/** The reads a finance app's screens make: one transaction, an account's recent activity, balances, spending, budgets, holdings. */
export const FINANCIAL_READS: readonly WorkloadQuery[] = [
  'point_lookup', 'recent_transactions', 'running_balance', 'monthly_spending', 'budget_vs_actual', 'portfolio_valuation',
].map(byName);
const INSERT = byName('insert_transaction');
const RECENT = byName('recent_transactions');

/** The workload's query functions only read the plan, so a bare plan (as passed to worker threads) is enough. */
const asWorkload = (plan: WorkloadPlan): Workload => ({ plan } as unknown as Workload);

const CACHE_TTL_S = 60;

export function cacheKey(s: StepServices, account: number): string {
  return `${s.keyPrefix ?? ''}load:acct:${account}`;
}

/** A skewed account choice (80 % of reads on 20 % of accounts), as a real app's hot users make. */
export function hotAccount(plan: WorkloadPlan, rng: Rng): number {
  const n = plan.accounts.length;
  const hot = Math.max(1, Math.floor(n * 0.2));
  return rng.chance(0.8) ? rng.int(1, hot) : rng.int(1, n);
}

/**
 * One execution of statement `name` on a session of `pool`, parsed on the session's first use of it, on callbacks (no
 * promise per request): `done` gets the error, if any. When `clock` is given the execution is timed as step `kind`
 * from `t0`, so the wait for a free session is included, as a pool's is.
 * The hot path (an idle session, the statement prepared) makes one closure, the reply's callback: a load request
 * had made five (bench/README.md, figure 1, "the load's path").
 */
function executeOn(pool: SessionPool, name: string, sql: string, request: (session: MeasureSession) => Buffer, done: Ended, clock?: StepClock, kind?: StepKind, t0 = 0): void {
  const idle = pool.tryTake();
  if (idle) return sendOn(pool, idle, name, sql, request, done, clock, kind, t0);
  pool.take((err, session) => {
    if (session) sendOn(pool, session, name, sql, request, done, clock, kind, t0);
    else ended(done, err ?? new Error('no PostgreSQL session'), clock, kind, t0);
  });
}

function sendOn(pool: SessionPool, session: MeasureSession, name: string, sql: string, request: (session: MeasureSession) => Buffer, done: Ended, clock: StepClock | undefined, kind: StepKind | undefined, t0: number): void {
  if (!session.isPrepared(name)) {
    session.prepare(name, sql).then(
      () => sendOn(pool, session, name, sql, request, done, clock, kind, t0),
      (error: unknown) => {
        pool.give(session);
        ended(done, error ?? new Error('the statement could not be prepared'), clock, kind, t0);
      },
    );
    return;
  }
  let bytes: Buffer;
  try {
    bytes = request(session);
  } catch (error) {
    pool.give(session);
    return ended(done, error ?? new Error('the request could not be encoded'), clock, kind, t0);
  }
  session.send(bytes, (_completed, error) => {
    pool.give(session);
    ended(done, error, clock, kind, t0);
  });
}

/** The end of an execution: its step recorded when it is timed, then the request goes on (or fails) through `done`. */
function ended(done: Ended, err: unknown, clock: StepClock | undefined, kind: StepKind | undefined, t0: number): void {
  clock?.stepEnded(kind!, t0, err);
  done(err);
}

/** executeOn as a promise, for the steps of requests that have more than one. */
function execute(pool: SessionPool, name: string, sql: string, values: readonly unknown[]): Promise<void> {
  return promiseOf((done) => executeOn(pool, name, sql, (session) => session.request(name, values), done));
}

/** A financial read: one of the app's screens' statements with the VU's own parameters. */
export function pgRead(s: StepServices, rng: Rng, clock: StepClock, done: Ended): void {
  const q = rng.pick(FINANCIAL_READS);
  const name = `stackprobe_load_${q.name}`;
  let values: unknown[];
  try {
    values = q.params(asWorkload(s.plan), rng);
  } catch (err) {
    return done(err ?? new Error('no parameters'));
  }
  executeOn(s.pool, name, q.text, (session) => session.request(name, values), done, clock, 'pg_read', performance.now());
}

export async function pgWrite(s: StepServices, rng: Rng, time: StepTimer): Promise<number> {
  const values = INSERT.params(asWorkload(s.plan), rng);
  if (s.writeAccounts) values[0] = rng.int(s.writeAccounts.from, s.writeAccounts.to);
  await time('pg_write', () => execute(s.pool, 'stackprobe_load_insert', INSERT.text, values));
  return values[0] as number;
}

export async function cacheDel(s: StepServices, account: number, time: StepTimer): Promise<void> {
  await time('cache_del', () => unlink(s.redis!, cacheKey(s, account)));
}

/** Cache-aside: GET; on a miss read the account's recent transactions from PostgreSQL and SET them with a TTL. */
export async function cacheAsideRead(s: StepServices, rng: Rng, time: StepTimer): Promise<void> {
  const account = hotAccount(s.plan, rng);
  const key = cacheKey(s, account);
  const cached = s.redis ? await time('cache_get', () => getHit(s.redis!, key)) : null;
  if (cached !== null) return;
  const rows = await time('pg_read', () => s.pool.use(async (session) => {
    await session.prepare('stackprobe_load_recent_transactions', RECENT.text);
    return session.rows(session.request('stackprobe_load_recent_transactions', [account]));
  }));
  if (s.redis) await time('cache_set', () => setEx(s.redis!, key, JSON.stringify(rows), CACHE_TTL_S));
}

/** Messages a worker has not taken within this are discarded, so an unattended queue does not keep the load's tasks. */
const TASK_EXPIRY_MS = 60_000;
const FORGET_BATCH = 200;

/**
 * Takes back the load's tasks in batches (their results and any message still waiting), so nothing is left behind and
 * no list of ids grows with the run.
 */
export class TaskTidy {
  private ids: string[] = [];
  private pending: Promise<unknown> = Promise.resolve();
  failures = 0;
  constructor(private readonly celery: Pick<CeleryTarget, 'forget'>) {}
  add(id: string): void {
    this.ids.push(id);
    if (this.ids.length >= FORGET_BATCH) this.flush();
  }
  flush(): void {
    const batch = this.ids;
    this.ids = [];
    if (batch.length) this.pending = this.pending.then(() => this.celery.forget(batch)).catch(() => void this.failures++);
  }
  async done(): Promise<void> {
    this.flush();
    await this.pending;
  }
}

export async function taskSubmit(s: StepServices, rng: Rng, time: StepTimer): Promise<void> {
  const account = rng.int(1, s.plan.accounts.length);
  const id = await time('task_submit', () => s.celery!.send(s.task!.name, [account], { queue: s.task!.queue, expiresInMs: TASK_EXPIRY_MS }));
  s.task!.tidy.add(id);
}

/**
 * The user's own SQL: one statement (validated when the config was read, and again here), extended protocol, on a
 * read-only measuring session (every transaction read-only, see targets/pg/wire/session.ts), bounded by
 * statement_timeout; one round trip.
 */
export function customRead(sql: string, params: unknown[]): (s: StepServices, clock: StepClock, done: Ended) => void {
  // Checked, named and encoded once (per session), not per request: the read check parses the SQL, the name is a hash
  // of it, and the parameters are the config's own.
  const why = whyNotReadStatement(sql);
  const name = `stackprobe_custom_${createHash('sha1').update(sql).digest('hex').slice(0, 16)}`;
  const requests = new WeakMap<MeasureSession, Buffer>();
  const requestOn = (session: MeasureSession): Buffer => {
    let request = requests.get(session);
    if (!request) requests.set(session, (request = session.request(name, params)));
    return request;
  };
  return (s, clock, done) => {
    const t0 = performance.now();
    if (!s.readPool) return ended(done, new Error('load.custom: no read-only pool was opened for the custom steps'), clock, 'custom', t0);
    if (why) return ended(done, new NotAReadStatementError(`not run: ${why}`), clock, 'custom', t0);
    executeOn(s.readPool, name, sql, requestOn, done, clock, 'custom', t0);
  };
}

/** Removes this run's cache keys (SCAN + UNLINK of the prefix, a bounded number of rounds). */
export async function removeCacheKeys(redis: RedisCaller, keyPrefix: string): Promise<void> {
  const pattern = `${keyPrefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}load:*`;
  let cursor = '0';
  let rounds = 0;
  do {
    const [next, keys] = (await redis.call(['SCAN', cursor, 'MATCH', pattern, 'COUNT', '1000'])) as [string, string[]];
    cursor = next;
    const ours = keys.filter((k) => k.startsWith(keyPrefix));
    if (ours.length) await redis.call(['UNLINK', ...ours]);
  } while (cursor !== '0' && ++rounds < 10_000);
}
