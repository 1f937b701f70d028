// `stackprobe merge` and headline charts: a segment's chart describes that segment alone, so the merged check's chart is
// drawn again by the check's own hook from the merged figures; a check whose hook is not known here keeps none.
import { describe, expect, it } from 'vitest';
import type { Check } from '../../src/checks/types.js';
import { mergeRunResults } from '../../src/merge/merge-results.js';
import type { CheckResult, Headline, RunResult } from '../../src/result/model.js';
import { fullRunResult } from '../fixtures/run-result.js';

const stale: Headline = { panels: [{ kind: 'text', paragraphs: [{ text: 'one segment' }] }] };

function segment(label: string, points: Array<[number, number]>): RunResult {
  const r = fullRunResult();
  const check = (id: string): CheckResult => ({
    id, category: 'ledger', title: id, status: 'pass', startedAt: r.startedAt, durationMs: 1000, metrics: [], thresholds: [], ratings: [], findings: [],
    timeSeries: [{ name: 'balance_rate', tags: {}, unit: '/s', points }], info: { distribution: { segment: label, workers: 1 } }, headline: stale,
  });
  return { ...r, checks: [check('ledger.drawn'), check('ledger.plugin')] };
}

describe('merged headline charts', () => {
  it('are drawn again by the check from the merged figures; a check without a known hook keeps none', () => {
    const seen: number[] = [];
    const drawn: Pick<Check, 'id' | 'headline'> = {
      id: 'ledger.drawn',
      headline: (view) => {
        const points = view.timeSeries.flatMap((s) => s.points);
        seen.push(points.length);
        return { panels: [{ kind: 'line', caption: 'c', title: 't', xTitle: 'x', yTitle: 'y', series: [{ label: 'merged', points }] }] };
      },
    };
    const { result } = mergeRunResults([segment('1/2', [[1, 1], [2, 2]]), segment('2/2', [[1, 3], [2, 4]])], [drawn], ['a.json', 'b.json']);
    const [mine, plugin] = result.checks;
    expect(seen).toEqual([4]);
    expect(mine!.headline?.panels[0]).toMatchObject({ kind: 'line', series: [{ label: 'merged' }] });
    expect(plugin!.headline).toBeUndefined();
  });
});
