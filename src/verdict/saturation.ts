// A timing verdict taken on a saturated client or host says so: its failed latency/throughput thresholds become warnings.
import type { MetricMeaning } from '../metrics/meaning.js';
import type { SaturationReport } from '../resources/saturation.js';
import type { SerializedMetric, ThresholdOutcome } from '../result/model.js';
import { parseSelector } from './threshold-parser.js';

/**
 * Figures the measuring machine's own speed shapes: operation times, phase times and completions per second. Shares,
 * counts, defects and server states are not softened: a saturated client does not create orphaned rows.
 */
const TIMING: ReadonlySet<MetricMeaning> = new Set(['latency', 'duration', 'throughput']);

export const SATURATED = 'measured while the client/host was saturated';

export interface SaturationVerdict {
  /** The outcomes, with each failed timing threshold turned into a warning (unchanged when nothing was saturated). */
  outcomes: ThresholdOutcome[];
  /** The outcomes that were turned into warnings, as they were before. */
  softened: ThresholdOutcome[];
  /** One sentence for the check's findings or reason; undefined when nothing was softened. */
  note: string | undefined;
}

function meaningOf(metrics: SerializedMetric[], selector: string): MetricMeaning | undefined {
  const name = parseSelector(selector, 'threshold').name;
  return metrics.find((m) => m.name === name)?.meaning;
}

/**
 * Pure. With `failWhenSaturated` (the integrator wires a config key or flag to it) nothing changes. A threshold whose
 * metric was never recorded (`actual` null) is left failed: silence is not a measurement, saturated or not.
 */
export function softenUnderSaturation(
  outcomes: ThresholdOutcome[], metrics: SerializedMetric[], saturation: SaturationReport | undefined, opts: { failWhenSaturated?: boolean } = {},
): SaturationVerdict {
  if (!saturation?.saturated || opts.failWhenSaturated) return { outcomes, softened: [], note: undefined };
  const softened: ThresholdOutcome[] = [];
  const out = outcomes.map((o) => {
    if (o.ok || o.level !== 'fail' || o.actual === null) return o;
    const meaning = meaningOf(metrics, o.metric);
    if (meaning === undefined || !TIMING.has(meaning)) return o;
    softened.push(o);
    return { ...o, level: 'warn' as const };
  });
  if (softened.length === 0) return { outcomes, softened, note: undefined };
  const which = softened.map((o) => `${o.metric} ${o.expression}`).join('; ');
  return { outcomes: out, softened, note: `${which}: ${SATURATED} (${saturation.reasons.join('; ')}), so a miss is a warning, not a failure` };
}
