// Where one stage's requests and steps are recorded: a per-stage registry (merged exactly later) and the per-second window.
import { Recorder } from '../../exec/recorder.js';
import { MetricRegistry } from '../../metrics/registry.js';
import { isTimeout } from '../../exec/types.js';
import { errorKind } from '../../util/errors.js';
import type { SecondWindow } from './per-second.js';
import type { StepKind, StepTimer } from './steps.js';

/** Metric names the load check records per stage; tagged `stage` (1-based), steps also `step`, types `request`. */
export const M = {
  request: 'load_request_duration',
  success: 'load_success',
  errorKinds: 'load_error_kinds',
  dropped: 'load_dropped',
  timedOut: 'load_timed_out',
  step: 'load_step_duration',
  stepSuccess: 'load_step_success',
  types: 'load_requests',
  elapsed: 'load_stage_elapsed_s',
  level: 'load_stage_level',
} as const;

export class StageRecorder {
  readonly registry = new MetricRegistry();
  /** Up to a few error messages, for the findings (redacted when the result is built). */
  readonly messages: string[] = [];

  constructor(readonly stage: number, private readonly window: SecondWindow) {}

  private get tags(): { stage: string } {
    return { stage: String(this.stage) };
  }

  ok(ms: number): void {
    this.registry.trend(M.request, this.tags).record(ms);
    this.registry.rate(M.success, this.tags).add(true);
    this.window.recordOk(ms);
  }

  fail(err: unknown): void {
    const kind = errorKind(err);
    this.registry.rate(M.success, this.tags).add(false);
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
      this.registry.rate(M.success, this.tags).add(false);
      this.window.recordError('dropped');
    }
    this.registry.counter(M.errorKinds, { ...this.tags, kind: 'dropped' }).add(n);
  }

  requestType(name: string): void {
    this.registry.counter(M.types, { ...this.tags, request: name }).add();
  }

  readonly time: StepTimer = async (step: StepKind, run) => {
    const tags = { ...this.tags, step };
    const t0 = performance.now();
    try {
      const out = await run();
      this.registry.trend(M.step, tags).record(performance.now() - t0);
      this.registry.rate(M.stepSuccess, tags).add(true);
      return out;
    } catch (err) {
      this.registry.rate(M.stepSuccess, tags).add(false);
      throw err;
    }
  };
}

/** Hands an executor's per-iteration outcomes to a StageRecorder (the executor measures from the intended start). */
export class ForwardingRecorder extends Recorder {
  constructor(private readonly target: StageRecorder | null) {
    // The base class's own metrics go to a scratch registry nobody reads.
    super({ registry: new MetricRegistry(), name: 'executor', elapsed: () => 0 });
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
