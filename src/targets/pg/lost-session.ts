// Tells a lost session (terminated backend, restart, dropped socket) from an error of the statement itself, so that
// cleanup can retry on a fresh connection instead of leaving its work undone.
import type pg from 'pg';
import type { PgClient, PgPool, PgPooledSession } from './types.js';
import { sleep } from '../../exec/timeout.js';

/** SQLSTATEs of a session the server ended: admin shutdown, crash shutdown, cannot connect now, idle session timeout. */
const LOST_STATES = new Set(['57P01', '57P02', '57P03', '57P05']);

/** Words of node-postgres and Node for a connection that is gone, when no code says so. */
const LOST_WORDS = /Connection terminated|connection ended|connection (?:is )?closed|Client has encountered a connection error|not queryable|Client was closed|ECONNRESET|EPIPE/i;

/** The one test of "the session is gone, not the statement at fault", used by the runner, integrity, replay and cleanup. */
export function isLostSession(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && (LOST_STATES.has(code) || code.startsWith('08') || ['ECONNRESET', 'ECONNREFUSED', 'EPIPE'].includes(code))) return true;
  return LOST_WORDS.test(err instanceof Error ? err.message : String(err));
}

/**
 * Runs `fn`, and again (up to `attempts` times in all, a short pause between) while it fails because its session was
 * lost: pooled queries then get a new connection. Any other error is thrown at once.
 */
export async function retryOnLostSession<T>(fn: () => Promise<T>, attempts = 3, pauseMs = 200): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !isLostSession(err)) throw err;
      await sleep(pauseMs * i);
    }
  }
}

/** A session the server or the network ended under a check: which one, and the error that said so. */
export interface LostSessionNote {
  applicationName: string;
  pid?: number;
  reason: string;
  /** A session of the run's shared pool, not one the check opened: named only when none of its own was lost. */
  shared?: boolean;
}

/**
 * Watches the sessions one check uses and notes each that is lost (its socket ended without the client ending it, or
 * an error that says the session is gone), so the check fails naming it even when the check itself caught the error
 * and carried on (a terminated backend once left a check PASS with only an error finding). `stop()` before closing
 * the sessions on purpose: what stackprobe ends itself is not lost.
 */
export class SessionWatch {
  readonly lost: LostSessionNote[] = [];
  private stopped = false;

  /**
   * Watches one node-postgres client (a pool's, on its 'connect'). On its connection, ahead of node-postgres's own
   * listeners: by the time the client reports a failed query, the pool has already ended it on purpose (release with
   * the error), so only the protocol's own events tell a server-ended session (a FATAL 57P01 from
   * pg_terminate_backend or a shutdown) or a dropped socket from a session stackprobe closed.
   */
  watchClient(client: PgClient | PgPooledSession, applicationName: string): void {
    const c = client as unknown as { processID?: number; _ending?: boolean; connection?: NodeJS.EventEmitter };
    const con = c.connection;
    if (!con) return;
    let said: unknown;
    con.prependListener('errorMessage', (msg: { severity?: string; code?: string; message?: string }) => {
      // Noted now, not at the socket's end: the check may catch the failed query and return before the socket closes.
      if (msg.severity === 'FATAL' || msg.severity === 'PANIC' || isLostSession(msg)) {
        said = msg;
        this.note(applicationName, c.processID, msg);
      }
    });
    con.prependListener('end', () => {
      // `_ending` is node-postgres's mark of an end() it was asked for (pool idle timeout, release, stackprobe's close).
      if (said !== undefined || c._ending) return;
      this.note(applicationName, c.processID, new Error('the connection was closed by the server or the network'));
    });
  }

  /** Watches a shared pool's idle clients for the check's duration; returns the function that stops watching. */
  watchPool(driverPool: PgPool, applicationName: string): () => void {
    // Every pool a PgTarget makes is node-postgres's (target.ts).
    const pool = driverPool as pg.Pool;
    const onError = (err: Error, client: pg.PoolClient) => {
      if (isLostSession(err)) this.note(applicationName, (client as unknown as { processID?: number }).processID, err, true);
    };
    pool.on('error', onError);
    return () => void pool.off('error', onError);
  }

  stop(): void {
    this.stopped = true;
  }

  private note(applicationName: string, pid: number | undefined, err: unknown, shared = false): void {
    if (this.stopped) return;
    // One note per session: its error and its end are the same loss.
    if (pid !== undefined && this.lost.some((l) => l.pid === pid)) return;
    const e = err as { message?: string; code?: unknown };
    const code = typeof e.code === 'string' ? e.code : undefined;
    const message = e.message ?? String(err);
    this.lost.push({ applicationName, ...(pid !== undefined ? { pid } : {}), reason: code && !message.includes(code) ? `${message} (${code})` : message, ...(shared ? { shared } : {}) });
  }

  /** `stackprobe-queries (pid 123): terminating connection due to administrator command (57P01)`, and how many more. */
  describe(): string | undefined {
    // The check's own session first: that is the one its work was on.
    const first = this.lost.find((l) => !l.shared) ?? this.lost[0];
    if (!first) return undefined;
    const more = this.lost.length > 1 ? ` and ${this.lost.length - 1} more` : '';
    return `a session was lost: ${first.applicationName}${first.pid !== undefined ? ` (pid ${first.pid})` : ''} ended under the check: ${first.reason}${more}`;
  }
}
