// The attribution judgement on known figures: each component named from its own evidence, the others ruled out.
import { describe, expect, it } from 'vitest';
import { attribute, groupOf, sharesOf, type StageAttributionInput } from '../../src/checks/load/attribution-judge.js';
import { classify } from '../../src/resources/pg-waits.js';

const stage = (o: Partial<StageAttributionInput> & { byClass?: Record<string, number>; lockRelations?: Record<string, number> } = {}): StageAttributionInput => ({
  stage: 2, level: 400, unit: 'req/s', poolWaitMs: 0, poolAcquired: 1000, poolWaited: 0, connectMs: 0, connects: 0, pgStepMs: 10_000,
  waits: { rounds: 50, byClass: o.byClass ?? { CPU: 80, Idle: 100 }, lockRelations: o.lockRelations ?? {}, errors: 0 },
  server: null, durationS: 5, clientReasons: [], clientCpuPercent: 30, clientLoopDelayP99Ms: 2, redisPingP95Ms: null, ...o,
});

describe('classify and groupOf', () => {
  it('puts each pg_stat_activity state in its class and group', () => {
    expect(classify({ state: 'active', type: null, event: null })).toBe('CPU');
    expect(classify({ state: 'idle', type: 'Client', event: 'ClientRead' })).toBe('Idle');
    expect(classify({ state: 'idle in transaction', type: 'Client', event: 'ClientRead' })).toBe('Client:IdleInTransaction');
    expect(classify({ state: 'active', type: 'LWLock', event: 'WALWrite' })).toBe('LWLock:WALWrite');
    expect(groupOf('LWLock:WALWrite')).toBe('wal');
    expect(groupOf('IO:WALSync')).toBe('wal');
    expect(groupOf('IO:DataFileRead')).toBe('io');
    expect(groupOf('LWLock:BufferIO')).toBe('io');
    expect(groupOf('LWLock:LockManager')).toBe('lwlock');
    expect(groupOf('Lock:transactionid')).toBe('lock');
    expect(groupOf('Timeout:PgSleep')).toBe('other');
    expect(groupOf('Idle')).toBe('idle');
  });
});

describe('attribute', () => {
  it('names WAL flush from its share of busy session time, idle time left out', () => {
    const s = sharesOf(stage({ byClass: { 'LWLock:WALWrite': 61, CPU: 39, Idle: 500 }, poolWaitMs: 100 }));
    expect(s.groups.wal).toBeCloseTo(0.61, 6);
    const a = attribute(s, undefined, true);
    expect(a.component).toBe('wal');
    expect(a.evidence).toMatch(/at 400 req\/s 61 % of the load's PostgreSQL session time waited on WAL/);
    expect(a.ruledOut.find((r) => r.component === 'pool')!.why).toMatch(/1 %/);
  });

  it('names lock waits with their relation, and calls the pool wait they cause a consequence', () => {
    const a = attribute(sharesOf(stage({ byClass: { 'Lock:tuple': 70, CPU: 30 }, lockRelations: { 'public.counters': 70 }, poolWaitMs: 9000 })), undefined, true);
    expect(a.component).toBe('lock');
    expect(a.evidence).toMatch(/public\.counters \(100 %\)/);
    expect(a.ruledOut.find((r) => r.component === 'pool')!.why).toMatch(/held by the waits/);
  });

  it('names the pool when requests wait for sessions that are not slowed by the server', () => {
    const a = attribute(sharesOf(stage({ byClass: { 'Timeout:PgSleep': 100 }, poolWaitMs: 8000 })), undefined, true);
    expect(a.component).toBe('pool');
  });

  it('names the client first when its lateness is a fair part of the stage\'s p95, whatever the server did', () => {
    const late = ['stackprobe\'s event loop was late by 80 ms at p99 (limit 50 ms)'];
    const a = attribute(sharesOf(stage({ byClass: { 'Lock:tuple': 90, CPU: 10 }, clientReasons: late, clientLoopDelayP99Ms: 80 })), undefined, true, 200);
    expect(a.component).toBe('client');
    expect(a.ruledOut.map((r) => r.component)).not.toContain('client');
    // 80 ms late beside a p95 of 3 s spent on lock waits: the locks gave first, the strain is said.
    const b = attribute(sharesOf(stage({ byClass: { 'Lock:tuple': 90, CPU: 10 }, clientReasons: late, clientLoopDelayP99Ms: 80 })), undefined, true, 3000);
    expect(b.component).toBe('lock');
    expect(b.evidence).toMatch(/stackprobe itself was strained too/);
    expect(b.ruledOut.find((r) => r.component === 'client')!.why).toMatch(/under 25 % of the stage's p95 of 3000 ms/);
    // Nothing else stood out: the strained client is named.
    expect(attribute(sharesOf(stage({ byClass: { Idle: 10 }, clientReasons: late, clientLoopDelayP99Ms: 80 })), undefined, true, 3000).component).toBe('client');
  });

  it('names Redis only when its PING grew beyond the client\'s own lateness', () => {
    const base = sharesOf(stage({ stage: 1, redisPingP95Ms: 0.4, byClass: { Idle: 100 } }));
    expect(attribute(sharesOf(stage({ byClass: { Idle: 100 }, redisPingP95Ms: 9, clientLoopDelayP99Ms: 8 })), base, true).component).toBeNull();
    expect(attribute(sharesOf(stage({ byClass: { Idle: 100 }, redisPingP95Ms: 30, clientLoopDelayP99Ms: 2 })), base, true).component).toBe('redis');
  });

  it('names the Celery workers when the queue grew by a tenth of the tasks submitted, and rules them out otherwise', () => {
    const behind = attribute(sharesOf(stage({ byClass: { Idle: 100 }, taskQueue: { first: 0, last: 120, submitted: 400 } })), undefined, true);
    expect(behind.component).toBe('tasks');
    expect(behind.evidence).toMatch(/from 0 to 120 messages while the stage submitted 400 tasks: the workers took 70 %/);
    const kept = attribute(sharesOf(stage({ byClass: { Idle: 100 }, taskQueue: { first: 2, last: 5, submitted: 400 } })), undefined, true);
    expect(kept.component).toBeNull();
    expect(kept.ruledOut.find((r) => r.component === 'tasks')!.why).toMatch(/from 2 to 5/);
  });

  it('weighs the workers\' utilisation: saturated and growing named, spare processes or a queue that kept up ruled out', () => {
    const workers = (utilisation: number) => ({ queue: 'q', consumers: 1, concurrency: 4, samples: 16, meanActive: utilisation * 4, peakActive: 4, utilisation });
    const grew = { first: 0, last: 120, submitted: 400 };
    const saturated = attribute(sharesOf(stage({ byClass: { Idle: 100 }, taskQueue: grew, workers: workers(0.97) })), undefined, true);
    expect(saturated.component).toBe('tasks');
    expect(saturated.evidence).toMatch(/the Celery workers were saturated: .*1 worker of 4 pool processes in all on queue q were 97 % busy \(on average 3\.9 tasks running, at most 4, over 16 answers/);
    const spare = attribute(sharesOf(stage({ byClass: { Idle: 100 }, taskQueue: grew, workers: workers(0.5) })), undefined, true);
    expect(spare.component).toBeNull();
    expect(spare.ruledOut.find((r) => r.component === 'tasks')!.why).toMatch(/50 % busy .*with pool processes to spare/);
    const keptUp = attribute(sharesOf(stage({ byClass: { Idle: 100 }, taskQueue: { first: 0, last: 1, submitted: 400 }, workers: workers(1) })), undefined, true);
    expect(keptUp.component).toBeNull();
    const nobody = attribute(sharesOf(stage({ byClass: { Idle: 100 }, taskQueue: grew, workers: { ...workers(0), consumers: 0, concurrency: 0, utilisation: null } })), undefined, true);
    expect(nobody.evidence).toMatch(/no live worker consumed queue q/);
    const readOnly = attribute(sharesOf(stage({ byClass: { Idle: 100 }, taskQueue: grew, workers: { reason: '--read-only: …' } })), undefined, true);
    expect(readOnly.component).toBe('tasks');
    expect(readOnly.evidence).toMatch(/utilisation was not sampled \(--read-only/);
  });

  it('names no server component from too few busy samples', () => {
    const a = attribute(sharesOf(stage({ byClass: { CPU: 1, Idle: 300 } })), undefined, false);
    expect(a.component).toBeNull();
    expect(a.evidence).toMatch(/only 1 busy session samples/);
  });

  it('names nothing when no figure stands out', () => {
    const a = attribute(sharesOf(stage({ byClass: { CPU: 30, 'Client:ClientRead': 40, Idle: 200 } })), undefined, false);
    expect(a.component).toBeNull();
    expect(a.saturated).toBe(false);
  });
});
