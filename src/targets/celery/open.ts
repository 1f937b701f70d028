// Opens the Celery target from config.celery_broker_url (Redis or AMQP) and config.celery_result_backend (Redis).
import type { Config } from '../../config/schema.js';
import { describeError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import { redactText, redactUrl } from '../../util/redact.js';
import type { Opened } from '../opened.js';
import { AmqpTransport } from './amqp-transport.js';
import { LostReason } from './bounded.js';
import { CeleryClient } from './client.js';
import { RedisResultBackend } from './redis-backend.js';
import { connectRedis, redisDb, RedisTransport } from './redis-transport.js';
import type { CeleryTarget } from './target.js';
import type { Transport } from './transport.js';

function timeoutsOf(config: Config) {
  return { connectMs: config.timeouts.connect_ms, commandMs: config.timeouts.operation_ms };
}

/** Clean-up (forgetting results, closing) at most this long: a frozen broker must not hold the end of a check or run. */
export function closeMsOf(config: Config): number {
  return Math.min(config.timeouts.connect_ms, config.timeouts.operation_ms);
}

async function openTransport(url: string, config: Config): Promise<Transport> {
  const scheme = new URL(url).protocol.replace(/:$/, '');
  const t = timeoutsOf(config);
  if (scheme === 'redis' || scheme === 'rediss') {
    const lost = new LostReason();
    return new RedisTransport(await connectRedis(url, t, lost), redisDb(url), t, lost);
  }
  if (scheme === 'amqp' || scheme === 'amqps') return AmqpTransport.connect(url, t.connectMs, t.commandMs);
  throw new Error(`unknown broker scheme "${scheme}://" (stackprobe speaks redis:// and amqp://)`);
}

async function openBackend(config: Config, log: Logger): Promise<{ backend?: RedisResultBackend; note: string }> {
  const url = config.celery_result_backend;
  if (!url) return { note: 'none configured (CELERY_RESULT_BACKEND not set)' };
  if (!/^rediss?:/.test(url)) return { note: `${new URL(url).protocol}// is not readable by stackprobe (only the Redis result backend is)` };
  const t = timeoutsOf(config);
  const lost = new LostReason();
  const client = await connectRedis(url, t, lost);
  // Connected before use: a lazily connecting subscriber can race its own ready check against SUBSCRIBE.
  const sub = await connectRedis(url, t, lost).catch((err: unknown) => {
    client.disconnect();
    throw err;
  });
  const backend = new RedisResultBackend(client, sub, t.commandMs, lost);
  // Reaping deletes keys: never under --read-only.
  if (!config.read_only) {
    const reaped = await backend.reapDead(closeMsOf(config)).catch((err: unknown) => {
      log.warn({ err: redactText(describeError(err)) }, 'reaping the result keys of dead runs failed; a later run retries');
      return { runs: 0, keys: 0 };
    });
    if (reaped.runs > 0) log.info(reaped, 'removed the result keys left by killed runs');
  }
  return { backend, note: redactUrl(url) };
}

/** A killed run's control reply binding and queue stay on a Redis broker forever: the next run takes them away. */
async function reapAbandonedReplies(transport: Transport, config: Config, log: Logger): Promise<void> {
  // Removing keys: never under --read-only.
  if (config.read_only || !transport.reapAbandonedReplies) return;
  const removed = await transport.reapAbandonedReplies(closeMsOf(config)).catch((err: unknown) => {
    log.warn({ err: redactText(describeError(err)) }, 'removing the control reply queues of killed runs failed; a later run retries');
    return 0;
  });
  if (removed > 0) log.info({ removed }, 'removed the control reply queues left by killed runs');
}

export async function openCelery(config: Config, log: Logger, onProgress: (text: string) => void): Promise<Opened<CeleryTarget>> {
  const url = config.celery_broker_url;
  if (!url) return { reason: 'CELERY_BROKER_URL not set' };
  onProgress(`connecting to the Celery broker ${redactUrl(url)}`);
  let transport: Transport | undefined;
  try {
    transport = await openTransport(url, config);
    await reapAbandonedReplies(transport, config, log);
    const { backend, note } = await openBackend(config, log);
    const target = new CeleryClient({
      transport,
      ...(backend ? { backend } : {}),
      defaultQueue: config.tasks.queue,
      controlTimeoutMs: config.tasks.control_timeout_ms,
      closeMs: closeMsOf(config),
      facts: { kind: 'celery', url: redactUrl(url), private: false, settings: { transport: transport.kind, result_backend: note, queue: config.tasks.queue } },
    });
    return { target, facts: target.facts, close: () => target.close() };
  } catch (err) {
    await transport?.close().catch(() => undefined); // the reason below is what matters; a half-open broker connection is just dropped
    const reason = `Celery broker ${redactUrl(url)} unreachable: ${redactText(describeError(err))}`;
    log.warn({ reason }, 'celery target unavailable');
    return { reason, broken: true };
  }
}
