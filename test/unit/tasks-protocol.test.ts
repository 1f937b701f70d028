// Celery message protocol v2 and kombu's Redis framing, checked field by field against the protocol.
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { bindingKey, bindingMember, decodeEnvelope, encodeTaskEnvelope, fanoutChannel, queueKeyFor, queueKeys } from '../../src/targets/celery/kombu-redis.js';
import { buildTaskMessage, dateDoneMs, parseResultMeta, pyRepr } from '../../src/targets/celery/protocol.js';

describe('protocol v2 task message', () => {
  const msg = buildTaskMessage('celery.accumulate', [1, 'a'], { kwargs: { k: true }, id: '11111111-2222-3333-4444-555555555555' });

  it('carries the v2 headers, with the id as root and correlation id', () => {
    expect(msg.headers).toMatchObject({
      lang: 'py', task: 'celery.accumulate', id: msg.id, root_id: msg.id, parent_id: null, group: null, retries: 0,
      eta: null, expires: null, shadow: null, timelimit: [null, null], argsrepr: "(1, 'a')", kwargsrepr: "{'k': True}",
    });
    expect(msg.headers.origin).toMatch(/^gen\d+@/);
    expect(msg.properties).toEqual({ correlation_id: msg.id, reply_to: '', delivery_mode: 2, priority: 0 });
  });

  it('has the body [args, kwargs, embed] as JSON', () => {
    expect(JSON.parse(msg.body)).toEqual([[1, 'a'], { k: true }, { callbacks: null, errbacks: null, chain: null, chord: null }]);
    expect(msg.contentType).toBe('application/json');
  });

  it('reprs like Python, one-tuples included', () => {
    expect(buildTaskMessage('t', [5]).headers.argsrepr).toBe('(5,)');
    expect(buildTaskMessage('t', []).headers.argsrepr).toBe('()');
    expect(pyRepr([null, false, "it's"])).toBe("[None, False, 'it\\'s']");
  });

  it('gives every message its own id', () => {
    expect(buildTaskMessage('t', []).id).not.toBe(buildTaskMessage('t', []).id);
  });
});

describe("kombu's Redis framing", () => {
  it('wraps the body base64 in a JSON envelope with delivery info and a delivery tag', () => {
    const msg = buildTaskMessage('test.add', [2, 3]);
    const env = JSON.parse(encodeTaskEnvelope(msg, '', 'stackprobe'));
    expect(env).toMatchObject({ 'content-type': 'application/json', 'content-encoding': 'utf-8', headers: { task: 'test.add', id: msg.id } });
    expect(env.properties).toMatchObject({ body_encoding: 'base64', correlation_id: msg.id, delivery_info: { exchange: '', routing_key: 'stackprobe' }, priority: 0 });
    expect(env.properties.delivery_tag).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(Buffer.from(env.body, 'base64').toString('utf8'))[0]).toEqual([2, 3]);
    expect(decodeEnvelope(JSON.stringify(env))).toEqual({ headers: env.headers, body: JSON.parse(msg.body) });
    expect(decodeEnvelope('not json')).toBeNull();
  });

  it('names priority lists, bindings and fanout channels as kombu does', () => {
    expect(queueKeys('q')).toEqual(['q', 'q\x06\x163', 'q\x06\x166', 'q\x06\x169']);
    expect([0, 2, 3, 5, 9, 12].map((p) => queueKeyFor('q', p))).toEqual(['q', 'q', 'q\x06\x163', 'q\x06\x163', 'q\x06\x169', 'q\x06\x169']);
    expect(bindingKey('reply.celery.pidbox')).toBe('_kombu.binding.reply.celery.pidbox');
    expect(bindingMember('abc', 'abc.reply.celery.pidbox')).toBe('abc\x06\x16\x06\x16abc.reply.celery.pidbox');
    expect(fanoutChannel(7, 'celery.pidbox')).toBe('/7.celery.pidbox');
    expect(fanoutChannel(0, 'celeryev', 'task.#')).toBe('/0.celeryev/task.#');
  });
});

describe('result meta', () => {
  it('parses the backend JSON and reads date_done as UTC', () => {
    expect(parseResultMeta('{"status":"SUCCESS","result":[1],"date_done":"2024-01-02T03:04:05.678901","task_id":"x"}')).toMatchObject({ status: 'SUCCESS', result: [1] });
    expect(parseResultMeta('\x80\x04pickle')).toBeNull();
    expect(dateDoneMs('2024-01-02T03:04:05.678901')).toBe(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
    expect(dateDoneMs('2024-01-02T03:04:05+01:00')).toBe(Date.UTC(2024, 0, 2, 2, 4, 5));
    expect(dateDoneMs(null)).toBeNaN();
  });
});

describe('config.tasks', () => {
  it('defaults to a dedicated queue and the built-in echo task', () => {
    const t = validateConfig({}).tasks;
    expect(t).toMatchObject({ queue: 'stackprobe', task: 'celery.accumulate', result_timeout_ms: 10000, rate: 50 });
    expect(t.args).toBeUndefined();
  });

  it('names the field in errors', () => {
    expect(() => validateConfig({ tasks: { queue: 'a queue' } })).toThrow(/config\.tasks\.queue: expected a queue name/);
    expect(() => validateConfig({ tasks: { rate: -1 } })).toThrow(/config\.tasks\.rate: expected a positive number/);
  });
});
