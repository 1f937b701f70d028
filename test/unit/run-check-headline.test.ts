// The runner keeps the headline a check draws in its result, hands the live view the one drawn from what the check has
// recorded so far, and never lets a hook that throws or draws what run.json cannot hold cost the check its result.
import { describe, expect, it } from 'vitest';
import type { Check } from '../../src/checks/types.js';
import { validateConfig } from '../../src/config/load.js';
import { metric } from '../../src/metrics/declare.js';
import { unit } from '../../src/metrics/unit.js';
import type { CheckSnapshot } from '../../src/result/events.js';
import type { Headline } from '../../src/result/model.js';
import { SharedResources } from '../../src/run/context.js';
import { runCheck } from '../../src/run/run-check.js';
import { silentLogger } from '../../src/util/logger.js';

const LEVEL = metric.series({ name: 'ledger_level', unit: unit.count('rows') });

function ledger(headline: Check['headline']): Check {
  return {
    id: 'ledger.level', category: 'ledger', title: 'Ledger level', needs: [], headline,
    async run(ctx) {
      const s = ctx.metrics.timeSeries(LEVEL);
      for (const [x, y] of [[1, 3], [2, 5], [3, 4]] as const) s.points.push([x, y]);
    },
  };
}

const line = (points: Array<[number, number]>): Headline => ({ panels: [{ kind: 'line', caption: 'c', title: 't', xTitle: 's', yTitle: 'rows', series: [{ label: 'level', points }] }] });

async function ran(check: Check, onLive?: (peek: () => CheckSnapshot) => void) {
  return runCheck({
    check, config: validateConfig({}), targets: {}, unavailable: {}, broken: new Set(), shared: new SharedResources(),
    signal: new AbortController().signal, log: silentLogger(), onProgress: () => undefined, ...(onLive ? { onLive } : {}),
  });
}

describe('headline charts in a run', () => {
  it('are drawn by the check from its figures, live and at its end', async () => {
    let peek: (() => CheckSnapshot) | undefined;
    const r = await ran(ledger((view) => line(view.timeSeries.flatMap((s) => s.points))), (p) => { peek = p; });
    expect(r.status).toBe('pass');
    expect(r.headline).toEqual(line([[1, 3], [2, 5], [3, 4]]));
    expect(peek!().headline).toEqual(r.headline);
  });

  it('a hook that throws, or draws what run.json cannot hold, leaves the check without a chart and with its result', async () => {
    const threw = await ran(ledger(() => { throw new Error('no chart today'); }));
    expect(threw.status).toBe('pass');
    expect(threw.headline).toBeUndefined();
    const bad = await ran(ledger(() => ({ panels: [{ kind: 'pie' }] }) as unknown as Headline));
    expect(bad.status).toBe('pass');
    expect(bad.headline).toBeUndefined();
  });
});
