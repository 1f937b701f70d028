// Tells a lost session (terminated backend, restart, dropped socket) from an error of the statement itself, so that
// cleanup can retry on a fresh connection instead of leaving its work undone.
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
