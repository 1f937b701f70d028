// RabbitMQ's management HTTP API (the rabbitmq_management plugin), read-only: a queue's ready and unacknowledged
// messages, which AMQP itself does not tell (a passive declare counts ready messages only).
import { describeError } from '../../util/errors.js';

/** What the management API says of one queue. */
export interface ManagedQueue {
  ready: number;
  unacked: number;
  consumers: number;
}

/** The management API's answer for some queues, or why there is none (the plugin off, the user not allowed). */
export type ManagementRead = { queues: Map<string, ManagedQueue>; endpoint: string } | { unavailable: string };

/**
 * The management API beside an AMQP URL: the same host, port 15672 (15671 for amqps://, its TLS listener's default),
 * the URL's user and password (guest/guest when it has none, as AMQP's default) and its virtual host (`/` by default).
 */
export function managementEndpoint(amqpUrl: string): { base: string; vhost: string; authorization: string } {
  const u = new URL(amqpUrl);
  const tls = u.protocol === 'amqps:';
  const host = u.hostname.includes(':') && !u.hostname.startsWith('[') ? `[${u.hostname}]` : u.hostname;
  const user = u.username ? decodeURIComponent(u.username) : 'guest';
  const password = u.password ? decodeURIComponent(u.password) : 'guest';
  const vhost = u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/';
  return {
    base: `${tls ? 'https' : 'http'}://${host}:${tls ? 15671 : 15672}`, vhost,
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  };
}

const count = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** GET /api/queues/<vhost>/<queue> for each queue, bounded by `timeoutMs` in all; a missing queue (404) is left out. */
export async function readManagedQueues(amqpUrl: string, queues: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<ManagementRead> {
  const ep = managementEndpoint(amqpUrl);
  const bound = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])]);
  const out = new Map<string, ManagedQueue>();
  try {
    for (const q of queues) {
      const res = await fetch(`${ep.base}/api/queues/${encodeURIComponent(ep.vhost)}/${encodeURIComponent(q)}`, {
        headers: { authorization: ep.authorization, accept: 'application/json' }, signal: bound, redirect: 'error',
      });
      if (res.status === 404) {
        await res.body?.cancel();
        continue;
      }
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        return { unavailable: `the management API at ${ep.base} refused the broker URL's user (HTTP ${res.status}): it needs the "monitoring" (or "management") tag` };
      }
      if (!res.ok) {
        await res.body?.cancel();
        return { unavailable: `the management API at ${ep.base} answered HTTP ${res.status}` };
      }
      const body = (await res.json()) as Record<string, unknown>;
      out.set(q, { ready: count(body.messages_ready), unacked: count(body.messages_unacknowledged), consumers: count(body.consumers) });
    }
  } catch (err) {
    if (signal?.aborted) throw err;
    const cause = (err as { cause?: unknown }).cause;
    const why = describeError(cause ?? err);
    return { unavailable: `no management API at ${ep.base} (${why}): enable the rabbitmq_management plugin to read unacknowledged messages` };
  }
  return { queues: out, endpoint: ep.base };
}
