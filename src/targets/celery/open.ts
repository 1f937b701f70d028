// Opens the Celery target from config.celery_broker_url (Redis or AMQP) and config.celery_result_backend (Redis).
import type { Config } from '../../config/schema.js';
import { describeError } from '../../util/errors.js';
import type { Logger } from '../../util/logger.js';
import { redactText, redactUrl } from '../../util/redact.js';
import type { Opened } from '../opened.js';
import { AmqpTransport } from './amqp-transport.js';
import { CeleryClient } from './client.js';
import { RedisResultBackend } from './redis-backend.js';
import { connectRedis, RedisTransport } from './redis-transport.js';
import type { CeleryTarget } from './target.js';
import type { Transport } from './transport.js';

function redisDb(url: string): number {
  const db = Number(new URL(url).pathname.replace(/^\//, '') || '0');
  return Number.isInteger(db) ? db : 0;
}

async function openTransport(url: string, config: Config): Promise<Transport> {
  const scheme = new URL(url).protocol.replace(/:$/, '');
  const { connect_ms, operation_ms } = config.timeouts;
  if (scheme === 'redis' || scheme === 'rediss') return new RedisTransport(await connectRedis(url, connect_ms), redisDb(url), connect_ms);
  if (scheme === 'amqp' || scheme === 'amqps') return AmqpTransport.connect(url, connect_ms, operation_ms);
  throw new Error(`unknown broker scheme "${scheme}://" (stackprobe speaks redis:// and amqp://)`);
}

async function openBackend(config: Config): Promise<{ backend?: RedisResultBackend; note: string }> {
  const url = config.celery_result_backend;
  if (!url) return { note: 'none configured (CELERY_RESULT_BACKEND not set)' };
  if (!/^rediss?:/.test(url)) return { note: `${new URL(url).protocol}// is not readable by stackprobe (only the Redis result backend is)` };
  const client = await connectRedis(url, config.timeouts.connect_ms);
  // Connected before use: a lazily connecting subscriber can race its own ready check against SUBSCRIBE.
  const sub = await connectRedis(url, config.timeouts.connect_ms);
  return { backend: new RedisResultBackend(client, sub), note: redactUrl(url) };
}

export async function openCelery(config: Config, log: Logger, onProgress: (text: string) => void): Promise<Opened<CeleryTarget>> {
  const url = config.celery_broker_url;
  if (!url) return { reason: 'CELERY_BROKER_URL not set' };
  onProgress(`connecting to the Celery broker ${redactUrl(url)}`);
  let transport: Transport | undefined;
  try {
    transport = await openTransport(url, config);
    const { backend, note } = await openBackend(config);
    const target = new CeleryClient({
      transport,
      ...(backend ? { backend } : {}),
      defaultQueue: config.tasks.queue,
      controlTimeoutMs: config.tasks.control_timeout_ms,
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
