// Where one stage's requests and steps are recorded: a per-stage registry (merged exactly later) and the per-second window.
import { Recorder, operationMetrics } from '../../exec/recorder.js';
import { MetricRegistry, type Counter, type Rate } from '../../metrics/registry.js';
import type { Trend } from '../../metrics/trend.js';
import { isTimeout } from '../../exec/types.js';
import { errorKind } from '../../util/errors.js';
import type { SecondWindow } from './per-second.js';
import type { StepClock, StepKind, StepTimer } from './steps.js';
import { M } from './metrics.js';

/** What the load check records per stage, declared in metrics.ts; re-exported for the readers of a stage's figures. */
export { M } from './metrics.js';

export class StageRecorder implements StepClock {
  readonly registry = new MetricRegistry();
  /** Up to a few error messages, for the findings (redacted when the result is built). */
  readonly messages: string[] = [];
  // The metrics every request touches, looked up once: a registry lookup builds a key string from the tags, which
  // cost the load more client CPU per request than the rest of its recording together.
  private readonly tags: { stage: string };
  private readonly requests: Trend;
  private readonly success: Rate;
  private readonly types = new Map<string, Counter>();
  private readonly steps = new Map<StepKind, { duration: Trend; success: Rate }>();

  constructor(readonly stage: number, private readonly window: SecondWindow) {
    this.tags = { stage: String(stage) };
    this.requests = this.registry.trend(M.request, this.tags);
    this.success = this.registry.rate(M.success, this.tags);
  }

  ok(ms: number): void {
    this.requests.record(ms);
    this.success.add(true);
    this.window.recordOk(ms);
  }

  fail(err: unknown): void {
    const kind = errorKind(err);
    this.success.add(false);
    this.registry.counter(M.errorKinds, { ...this.tags, kind }).add();
    // Recorded even at zero so a stage's started/completed split is always there to read.
    this.registry.counter(M.timedOut, this.tags).add(isTimeout(err) ? 1 : 0);
    this.window.recordError(kind);
    if (this.messages.length < 5) this.messages.push(err instanceof Error ? err.message : String(err));
  }

  /** Requests an open loop could not start (every VU busy, backlog full or left at the end): failures of kind `dropped`. */
  dropped(n: number): void {
    if (n <= 0) return;
    this.registry.counter(M.dropped, this.tags).add(n);
    for (let i = 0; i < n; i++) {
      this.success.add(false);
      this.window.recordError('dropped');
    }
    this.registry.counter(M.errorKinds, { ...this.tags, kind: 'dropped' }).add(n);
  }

  requestType(name: string): void {
    let counter = this.types.get(name);
    if (!counter) this.types.set(name, (counter = this.registry.counter(M.types, { ...this.tags, request: name })));
    counter.add();
  }

  private stepMetrics(step: StepKind): { duration: Trend; success: Rate } {
    let m = this.steps.get(step);
    if (!m) {
      const tags = { ...this.tags, step };
      this.steps.set(step, (m = { duration: this.registry.trend(M.step, tags), success: this.registry.rate(M.stepSuccess, tags) }));
    }
    return m;
  }

  /** A step that began at `t0` (performance.now()) has ended, failed when `err` is given: the callback form of `time`. */
  stepEnded(step: StepKind, t0: number, err?: unknown): void {
    const m = this.stepMetrics(step);
    if (err === undefined) {
      m.duration.record(performance.now() - t0);
      m.success.add(true);
    } else m.success.add(false);
  }

  readonly time: StepTimer = (step: StepKind, run) => {
    const t0 = performance.now();
    let running;
    try {
      running = run();
    } catch (err) {
      this.stepEnded(step, t0, err ?? new Error('the step failed'));
      return Promise.reject(err as Error);
    }
    // Plain callbacks rather than an async function: one promise less per step on the load's hot path.
    return running.then((out) => {
      this.stepEnded(step, t0);
      return out;
    }, (err: unknown) => {
      this.stepEnded(step, t0, err ?? new Error('the step failed'));
      throw err;
    });
  };
}

/** Hands an executor's per-iteration outcomes to a StageRecorder (the executor measures from the intended start). */
export class ForwardingRecorder extends Recorder {
  constructor(private readonly target: StageRecorder | null) {
    // The base class's own metrics go to a scratch registry nobody reads.
    super({ registry: new MetricRegistry(), metrics: operationMetrics('executor', { meaning: 'latency', description: 'one operation', noun: 'operations' }), elapsed: () => 0 });
  }
  override ok(ms: number): void {
    this.target?.ok(ms);
  }
  override fail(err: unknown): void {
    this.target?.fail(err);
  }
  override dropped(n: number): void {
    this.target?.dropped(n);
  }
  override start(): void {}
  override stop(): void {}
}
