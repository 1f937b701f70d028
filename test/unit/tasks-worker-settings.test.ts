// The worker settings tasks.config reads (Python durations, Python's JSON) and the pure parts of its hazards.
import { describe, expect, it } from 'vitest';
import { etaHorizonsS, hostOf, pythonSeconds, readSettings } from '../../src/checks/tasks/worker-settings.js';
import { parsePythonJson } from '../../src/targets/celery/protocol.js';

describe('pythonSeconds', () => {
  it('reads numbers and timedelta str() forms', () => {
    expect(pythonSeconds(3600)).toBe(3600);
    expect(pythonSeconds('1 day, 0:00:00')).toBe(86400);
    expect(pythonSeconds('2 days, 3:04:05.500000')).toBe(2 * 86400 + 3 * 3600 + 4 * 60 + 5.5);
    expect(pythonSeconds('0:00:02')).toBe(2);
    expect(pythonSeconds(null)).toBeNull();
    expect(pythonSeconds('soon')).toBeNull();
  });
});

describe('parsePythonJson', () => {
  it('reads Infinity and NaN outside strings, and leaves strings alone', () => {
    expect(parsePythonJson('{"a": Infinity, "b": -Infinity, "c": NaN, "d": "Infinity \\" NaN"}')).toEqual({ a: Infinity, b: -Infinity, c: null, d: 'Infinity " NaN' });
    expect(parsePythonJson('[1, 2]')).toEqual([1, 2]);
    expect(() => parsePythonJson('{"a": }')).toThrow();
  });
});

describe('readSettings', () => {
  it('takes kombu\'s visibility timeout and Celery\'s prefetch default when unset, and never keeps the backend URL', () => {
    const s = readSettings('w1@host', { task_acks_late: true, result_backend: 'redis://:secret@h/1', result_expires: null, worker_concurrency: null }, { pool: { 'max-concurrency': 8, implementation: 'celery.concurrency.prefork:TaskPool' } });
    expect(s).toEqual({ worker: 'w1@host', acksLate: true, prefetchMultiplier: 4, concurrency: 8, concurrencyDefaulted: true, pool: 'prefork', visibilityTimeoutS: 3600, hasResultBackend: true, resultExpiresS: null });
    expect(JSON.stringify(s)).not.toContain('secret');
    expect(readSettings('w', { broker_transport_options: { visibility_timeout: 43200 }, result_expires: '1 day, 0:00:00', worker_prefetch_multiplier: 1 }, undefined))
      .toMatchObject({ visibilityTimeoutS: 43200, resultExpiresS: 86400, prefetchMultiplier: 1, concurrency: null, hasResultBackend: false });
  });

  it('reads the host of a node name and the seconds to each ETA', () => {
    expect(hostOf('celery@web-1.example')).toBe('web-1.example');
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(etaHorizonsS(['2026-01-01T02:00:00.123456+00:00', 'garbage'], now)).toEqual([7200.123]);
  });
});

describe('kombu Redis layout', () => {
  it('names the queues of binding members without the pidbox and event plumbing, and reads only ids, names and ETAs', async () => {
    const { queuesOfBindings, messageHeaders, SEP } = await import('../../src/targets/celery/kombu-redis.js');
    const member = (rk: string, q: string) => [rk, '', q].join(SEP);
    expect(queuesOfBindings([member('exports', 'exports'), member('', 'celery@h.celery.pidbox'), member('k', 'abc.reply.celery.pidbox'), member('#', 'celeryev.1f2e'), member('emails', 'emails'), member('exports', 'exports')]))
      .toEqual(['emails', 'exports']);
    const text = JSON.stringify({ body: 'e30=', headers: { id: 'i1', task: 'shop.x', eta: '2026-01-01T00:00:00+00:00', argsrepr: "('secret',)" } });
    expect(messageHeaders(text)).toEqual({ id: 'i1', task: 'shop.x', eta: '2026-01-01T00:00:00+00:00' });
    expect(messageHeaders('not json')).toEqual({});
  });
});
