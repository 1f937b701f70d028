// kombu's Redis layout as facts: a list per queue (LPUSH, workers BRPOP), priority lists, binding sets, fanout channels.
import { randomUUID } from 'node:crypto';
import { parsePythonJson, type TaskMessage } from './protocol.js';

/** kombu's separator inside binding members and priority queue names. */
export const SEP = '\x06\x16';
/** Celery's default priority steps on Redis: priority n lives in `<queue>\x06\x16<step>` (0 is the plain name). */
export const PRIORITY_STEPS = [0, 3, 6, 9];

export function queueKeys(queue: string): string[] {
  return PRIORITY_STEPS.map((p) => (p === 0 ? queue : `${queue}${SEP}${p}`));
}

export function queueKeyFor(queue: string, priority: number): string {
  const step = [...PRIORITY_STEPS].reverse().find((s) => s <= priority) ?? 0;
  return step === 0 ? queue : `${queue}${SEP}${step}`;
}

/** kombu's ack emulation: the hash of delivered, unacknowledged messages and its index of delivery times. */
export const UNACKED_KEY = 'unacked';
export const UNACKED_INDEX_KEY = 'unacked_index';

/** The queues named in binding-set members, without Celery's own control and event plumbing. */
export function queuesOfBindings(members: string[]): string[] {
  const queues = new Set<string>();
  for (const m of members) {
    const queue = m.split(SEP)[2];
    if (queue && !queue.endsWith('.pidbox') && !queue.startsWith('celeryev.')) queues.add(queue);
  }
  return [...queues].sort();
}

/** A waiting message's id, task name and ETA, from its envelope headers; arguments are never read out. */
export function messageHeaders(text: string): { id?: string; task?: string; eta?: string } {
  try {
    const h = (JSON.parse(text) as { headers?: Record<string, unknown> }).headers ?? {};
    const pick = (k: string) => (typeof h[k] === 'string' ? { [k]: h[k] } : {});
    return { ...pick('id'), ...pick('task'), ...pick('eta') };
  } catch (err) {
    void err; // not a kombu envelope: nothing to say about it
    return {};
  }
}

/** The set a direct exchange's bindings live in; members are `routing_key SEP pattern SEP queue`. */
export function bindingKey(exchange: string): string {
  return `_kombu.binding.${exchange}`;
}

export function bindingMember(routingKey: string, queue: string): string {
  return [routingKey, '', queue].join(SEP);
}

/** The channel a fanout exchange publishes on (fanout_prefix and fanout_patterns on, Celery's defaults). */
export function fanoutChannel(db: number, exchange: string, routingKey = ''): string {
  return routingKey ? `/${db}.${exchange}/${routingKey}` : `/${db}.${exchange}`;
}

export interface KombuEnvelope {
  body: string;
  'content-encoding': string;
  'content-type': string;
  headers: Record<string, unknown>;
  properties: Record<string, unknown> & { body_encoding: 'base64'; delivery_tag: string; delivery_info: { exchange: string; routing_key: string } };
}

/** Frames a task message as kombu's Redis transport stores it: the body base64-encoded inside a JSON envelope. */
export function encodeTaskEnvelope(msg: TaskMessage, exchange: string, routingKey: string): string {
  const env: KombuEnvelope = {
    body: Buffer.from(msg.body, 'utf8').toString('base64'),
    'content-encoding': msg.contentEncoding,
    'content-type': msg.contentType,
    headers: msg.headers,
    properties: {
      ...msg.properties,
      body_encoding: 'base64',
      delivery_info: { exchange, routing_key: routingKey },
      delivery_tag: randomUUID(),
    },
  };
  return JSON.stringify(env);
}

/** Frames any JSON body (control commands) the same way. */
export function encodeJsonEnvelope(body: unknown, headers: Record<string, unknown>, exchange: string, routingKey: string): string {
  return JSON.stringify({
    body: Buffer.from(JSON.stringify(body), 'utf8').toString('base64'),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers,
    properties: { delivery_mode: 1, priority: 0, body_encoding: 'base64', delivery_info: { exchange, routing_key: routingKey }, delivery_tag: randomUUID() },
  });
}

/** Reads a kombu Redis envelope back: headers and the decoded JSON body; null for anything else. */
export function decodeEnvelope(text: string): { headers: Record<string, unknown>; body: unknown } | null {
  try {
    const env = JSON.parse(text) as Partial<KombuEnvelope>;
    if (typeof env.body !== 'string' || env['content-type'] !== 'application/json') return null;
    const raw = env.properties?.body_encoding === 'base64' ? Buffer.from(env.body, 'base64').toString('utf8') : env.body;
    return { headers: env.headers ?? {}, body: parsePythonJson(raw) };
  } catch (err) {
    // Not a JSON envelope (another serializer): not ours to read.
    void err;
    return null;
  }
}
