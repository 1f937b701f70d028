// Runs stages in this thread (the default) — the worker-thread runner in ./worker-runner.ts has the same shape.
import { shareOfStage, type Segment, type Stage } from '../../exec/stages.js';
import { serializeMetrics } from '../../metrics/serialize.js';
import type { SerializedMetric } from '../../result/model.js';
import type { SecondWindow } from './per-second.js';
import { StageRecorder } from './record.js';
import { runStageHere, type StageEnv } from './run-stage.js';

export interface StageOutcome {
  /** The stage's metrics from every thread, serialised (histograms encoded), to be merged into the check's registry. */
  metrics: SerializedMetric[];
  /** A few error messages seen in the stage. */
  messages: string[];
}

export interface StageRunner {
  /** `stage` is the whole profile's stage; the runner runs this process's share of it. */
  runStage(stageNumber: number, stage: Stage, signal: AbortSignal): Promise<StageOutcome>;
  close(): Promise<void>;
}

export function localRunner(env: StageEnv, segment: Segment, window: SecondWindow): StageRunner {
  return {
    async runStage(stageNumber, stage, signal) {
      const rec = new StageRecorder(stageNumber, window);
      await runStageHere(env, shareOfStage(stage, segment.index, segment.count), rec, signal);
      return { metrics: serializeMetrics(rec.registry, 0), messages: rec.messages };
    },
    close: async () => undefined,
  };
}
