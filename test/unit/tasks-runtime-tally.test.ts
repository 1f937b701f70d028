// Celery events tallied per task name: waits from task-sent (else task-received), ETA deliveries excluded, retries counted.
import { describe, expect, it } from 'vitest';
import { EventTally } from '../../src/checks/tasks/runtime-tally.js';

describe('EventTally', () => {
  it('times runs and queue waits per task name, and counts retries, failures and revokes', () => {
    const t = new EventTally();
    const feed = (type: string, uuid: string, timestamp: number, more: Record<string, unknown> = {}) => t.add({ type, uuid, timestamp, hostname: 'w@h', ...more });
    feed('task-sent', 'a', 100, { name: 'reports.build' });
    feed('task-received', 'a', 100.5, { name: 'reports.build' });
    feed('task-started', 'a', 101);
    feed('task-succeeded', 'a', 103, { runtime: 2 });
    // Received only (no task-sent): the wait starts there. Then a retry with a countdown: its wait is not queue time.
    feed('task-received', 'b', 200, { name: 'partner.sync' });
    feed('task-started', 'b', 200.25);
    feed('task-retried', 'b', 200.3);
    feed('task-received', 'b', 200.31, { name: 'partner.sync', eta: '2026-01-01T00:00:01+00:00' });
    feed('task-started', 'b', 201.4);
    feed('task-failed', 'b', 201.5);
    feed('task-revoked', 'c', 300);
    feed('task-succeeded', 'z', 300, { runtime: 1 }); // received before the window: no name
    t.add({ type: 'worker-heartbeat', hostname: 'w@h', timestamp: 1 });
    expect(t.tasks.get('reports.build')).toMatchObject({ runtimesMs: [2000], waitsMs: [1000], succeeded: 1 });
    const sync = t.tasks.get('partner.sync')!;
    expect(sync).toMatchObject({ waitsMs: [250], retried: 1, failed: 1, succeeded: 0 });
    expect(sync.runtimesMs[0]).toBeCloseTo(100, 5);
    expect(t.unattributed).toBe(2);
    expect(t.workers).toEqual(new Set(['w@h']));
    expect(t.workerTaskEvents).toBe(11);
  });
});
