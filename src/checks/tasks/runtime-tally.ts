// Celery events tallied per task name: run time, queue wait, outcomes; pure, fed one event at a time.

/** One task name's figures over the window. Times in ms. */
export interface TaskTally {
  name: string;
  runtimesMs: number[];
  waitsMs: number[];
  succeeded: number;
  failed: number;
  retried: number;
  revoked: number;
}

interface Pending {
  name?: string;
  /** Epoch seconds (the sender's or the worker's clock) of the latest task-sent / task-received. */
  sentAt?: number;
  receivedAt?: number;
  /** The latest delivery carries an ETA/countdown: its wait is the schedule, not the queue. */
  eta: boolean;
  startedAt?: number;
}

/** At most this many task ids are remembered: older ones are dropped first (a bounded map over a busy window). */
const MAX_PENDING = 50_000;
/** At most this many samples per task name and figure (a long window keeps a bounded memory). */
const MAX_SAMPLES = 20_000;

export class EventTally {
  readonly tasks = new Map<string, TaskTally>();
  readonly workers = new Set<string>();
  /** Task events whose task was received before the window (no name known): counted, not attributed. */
  unattributed = 0;
  events = 0;
  /**
   * Task events a worker sent (task-received, task-started…). Heartbeats come without -E too, and producers send
   * task-sent whatever the workers do: neither says the workers send task events.
   */
  workerTaskEvents = 0;
  private readonly pending = new Map<string, Pending>();

  private tally(name: string): TaskTally {
    let t = this.tasks.get(name);
    if (!t) {
      t = { name, runtimesMs: [], waitsMs: [], succeeded: 0, failed: 0, retried: 0, revoked: 0 };
      this.tasks.set(name, t);
    }
    return t;
  }

  private entry(uuid: string): Pending {
    let p = this.pending.get(uuid);
    if (!p) {
      if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
      p = { eta: false };
      this.pending.set(uuid, p);
    }
    return p;
  }

  add(e: Record<string, unknown>): void {
    const type = e.type;
    if (typeof type !== 'string') return;
    this.events++;
    if (type.startsWith('task-') && type !== 'task-sent') this.workerTaskEvents++;
    if (typeof e.hostname === 'string' && type.startsWith('worker-')) this.workers.add(e.hostname);
    const uuid = e.uuid;
    if (!type.startsWith('task-') || typeof uuid !== 'string') return;
    const ts = typeof e.timestamp === 'number' ? e.timestamp : undefined;
    const p = this.entry(uuid);
    if (typeof e.name === 'string') p.name = e.name;
    switch (type) {
      case 'task-sent':
        p.sentAt = ts;
        p.eta = typeof e.eta === 'string';
        return;
      case 'task-received':
        p.receivedAt = ts;
        p.eta = typeof e.eta === 'string';
        return;
      case 'task-started': {
        p.startedAt = ts;
        const from = p.sentAt ?? p.receivedAt;
        if (p.name && !p.eta && ts !== undefined && from !== undefined) push(this.tally(p.name).waitsMs, Math.max(0, (ts - from) * 1000));
        // A retry is sent again under the same id: its next wait starts from that send.
        p.sentAt = undefined;
        p.receivedAt = undefined;
        return;
      }
    }
    if (!p.name) {
      this.unattributed++;
      return;
    }
    const t = this.tally(p.name);
    if (type === 'task-succeeded') {
      t.succeeded++;
      if (typeof e.runtime === 'number') push(t.runtimesMs, e.runtime * 1000);
      this.pending.delete(uuid);
    } else if (type === 'task-failed') {
      t.failed++;
      if (ts !== undefined && p.startedAt !== undefined) push(t.runtimesMs, Math.max(0, (ts - p.startedAt) * 1000));
      this.pending.delete(uuid);
    } else if (type === 'task-retried') {
      t.retried++;
    } else if (type === 'task-revoked') {
      t.revoked++;
      this.pending.delete(uuid);
    }
  }
}

function push(list: number[], v: number): void {
  if (list.length < MAX_SAMPLES) list.push(v);
}
