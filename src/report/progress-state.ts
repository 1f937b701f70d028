// What the progress views know of a run, built from the runner's events: each check's state, the counts, the ETA.
import type { CheckResult } from '../result/model.js';
import type { RunEvent } from '../result/events.js';
import { oneLine } from './progress-text.js';

export interface CheckSlot {
  id: string;
  title: string;
  category: string;
  estimateMs: number;
  state: 'pending' | 'running' | 'done';
  startedAt?: number;
  output?: string;
  result?: CheckResult;
}

const TYPICAL_MS = 100;

export class ProgressState {
  readonly slots = new Map<string, CheckSlot>();
  readonly t0: number;
  setup = '';
  phase: 'setup' | 'checks' | 'teardown' = 'setup';

  constructor(private readonly now: () => number) {
    this.t0 = now();
  }

  slot(id: string): CheckSlot {
    let s = this.slots.get(id);
    if (!s) {
      // An event for a check the plan did not name (a newer runner, a plugin): shown under its own id.
      s = { id: oneLine(id), title: oneLine(id), category: oneLine(id.split('.')[0] ?? id), estimateMs: TYPICAL_MS, state: 'pending' };
      this.slots.set(id, s);
    }
    return s;
  }

  apply(e: RunEvent): void {
    switch (e.type) {
      case 'plan':
        for (const c of e.checks) {
          const s = this.slot(c.id);
          s.title = oneLine(c.title);
          s.category = oneLine(c.category);
          s.estimateMs = c.estimateMs ?? TYPICAL_MS;
        }
        break;
      case 'setup':
        this.setup = oneLine(e.text);
        break;
      case 'check-start': {
        const s = this.slot(e.id);
        this.phase = 'checks';
        s.state = 'running';
        s.startedAt = this.now();
        break;
      }
      case 'check-progress':
        this.slot(e.id).output = oneLine(e.text);
        break;
      case 'check-end': {
        const s = this.slot(e.result.id);
        s.state = 'done';
        s.result = e.result;
        break;
      }
      case 'teardown':
        this.phase = 'teardown';
        this.setup = oneLine(e.text);
        break;
      default:
        break;
    }
  }

  elapsedMs(): number {
    return Math.max(0, this.now() - this.t0);
  }

  counts(): { done: number; total: number } {
    const all = [...this.slots.values()];
    return { done: all.filter((s) => s.state === 'done').length, total: all.length };
  }

  /**
   * Time left: the estimates of what has not finished, scaled by how the finished checks compared with theirs (a
   * slower host scales every estimate), minus what the running check has already spent. Undefined before any estimate.
   */
  etaMs(): number | undefined {
    const all = [...this.slots.values()];
    if (all.length === 0) return undefined;
    const ran = all.filter((s) => s.state === 'done' && s.result && s.result.durationMs > 0);
    const spent = ran.reduce((n, s) => n + s.result!.durationMs, 0);
    const expected = ran.reduce((n, s) => n + s.estimateMs, 0);
    const scale = expected > 1000 ? Math.min(4, Math.max(0.25, spent / expected)) : 1;
    let left = 0;
    for (const s of all) {
      if (s.state === 'done') continue;
      const est = s.estimateMs * scale;
      left += s.state === 'running' && s.startedAt !== undefined ? Math.max(0, est - (this.now() - s.startedAt)) : est;
    }
    return left;
  }
}
