// A timing threshold missed while stackprobe's own client was saturated is not a verdict on the system: it is marked
// `untrusted` (its own check status and exit code), never softened into a pass or a warning. A busy host is shown, not judged.
import type { MetricMeaning } from '../metrics/meaning.js';
import { clientReasons, type SaturationReport } from '../resources/saturation.js';
import type { SerializedMetric, ThresholdOutcome } from '../result/model.js';
import { parseSelector } from './threshold-parser.js';

/**
 * Figures the measuring client's own speed shapes: operation times, phase times and completions per second. Shares,
 * counts, defects and server states are judged as measured: a saturated client does not create orphaned rows.
 */
const TIMING: ReadonlySet<MetricMeaning> = new Set(['latency', 'duration', 'throughput']);

export const UNTRUSTED = 'measured while stackprobe\'s own client was saturated';

export interface SaturationVerdict {
  /** The outcomes, each missed timing threshold marked `untrusted` (unchanged when the client kept up). */
  outcomes: ThresholdOutcome[];
  /** The outcomes that were marked, as they were before. */
  untrusted: ThresholdOutcome[];
  /** One sentence for the check's findings; undefined when nothing was marked. */
  note: string | undefined;
}

function meaningOf(metrics: SerializedMetric[], selector: string): MetricMeaning | undefined {
  const name = parseSelector(selector, 'threshold').name;
  return metrics.find((m) => m.name === name)?.meaning;
}

/**
 * Pure. Only the client's own saturation (its CPU, its event loop) marks anything: a host kept busy by other processes
 * (a CI runner, the database under test) is what many users measure on, and its figures stand. With
 * `failWhenSaturated` nothing is marked, so a miss fails as measured. A threshold whose metric was never recorded
 * (`actual` null) stays a plain miss: silence is not a measurement, saturated or not.
 */
export function distrustUnderSaturation(
  outcomes: ThresholdOutcome[], metrics: SerializedMetric[], saturation: SaturationReport | undefined, opts: { failWhenSaturated?: boolean } = {},
): SaturationVerdict {
  const client = clientReasons(saturation);
  if (client.length === 0 || opts.failWhenSaturated) return { outcomes, untrusted: [], note: undefined };
  const untrusted: ThresholdOutcome[] = [];
  const out = outcomes.map((o) => {
    if (o.ok || o.actual === null) return o;
    const meaning = meaningOf(metrics, o.metric);
    if (meaning === undefined || !TIMING.has(meaning)) return o;
    untrusted.push(o);
    return { ...o, untrusted: true as const };
  });
  if (untrusted.length === 0) return { outcomes, untrusted, note: undefined };
  const which = untrusted.map((o) => `${o.metric} ${o.expression}`).join('; ');
  return { outcomes: out, untrusted, note: `${which}: missed, but ${UNTRUSTED} (${client.join('; ')}), so the miss is untrusted: neither a pass nor a failure` };
}

/**
 * One sentence when the host (not the client) was busy and the check measured timings, shown beside its figures
 * (`info.host_busy`), changing no verdict. Not a finding: it says how the figures were taken, not what the system
 * under test does, and a check without timing figures (catalog reads, defects) is not concerned by it.
 */
export function hostNote(saturation: SaturationReport | undefined, metrics: SerializedMetric[]): string | undefined {
  const host = saturation?.host ?? [];
  if (host.length === 0 || !metrics.some((m) => m.meaning !== undefined && TIMING.has(m.meaning))) return undefined;
  return `measured while the host was busy (${host.join('; ')}): timings include waiting for a CPU, and the verdicts stand as measured`;
}
