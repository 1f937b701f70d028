// Test helper: a real run's metrics judged against what its checks declare (src/metrics/declare.ts).
import { expect } from 'vitest';
import { builtinChecks } from '../../src/checks/index.js';
import { validateConfig } from '../../src/config/load.js';
import type { RunResult } from '../../src/result/model.js';
import { declaredMetrics } from '../../src/verdict/rules.js';

/**
 * Every check of a real run recorded only metrics it declares, and none threw (a metric declared twice, differently,
 * would: the check then fails with that reason).
 */
export function expectOnlyDeclared(result: RunResult): void {
  expect(result.checks.filter((c) => c.reason !== undefined && c.status === 'fail').map((c) => `${c.id}: ${c.reason}`)).toEqual([]);
  const defaults = validateConfig({});
  for (const c of result.checks) {
    const declared = declaredMetrics(builtinChecks.find((b) => b.id === c.id)!, defaults);
    expect(declared, c.id).toBeDefined();
    const names = new Set(declared!.map((d) => d.name));
    expect(c.metrics.map((m) => m.name).filter((n) => !names.has(n)), c.id).toEqual([]);
  }
}
