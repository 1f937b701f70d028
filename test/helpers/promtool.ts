// Test helper: `promtool check metrics` (Debian's prometheus package, installed by scripts/ensure-services.sh) on the
// Prometheus output of a real run, so the exposition is judged by Prometheus's own linter, not by our reading of it.
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { renderProm } from '../../src/report/prom.js';
import type { RunResult } from '../../src/result/model.js';

export function expectPromtoolClean(result: RunResult): void {
  const res = spawnSync('promtool', ['check', 'metrics'], { input: renderProm(result), encoding: 'utf8' });
  expect(res.error, 'promtool is missing: run scripts/ensure-services.sh').toBeUndefined();
  expect(`${res.stdout}${res.stderr}`).toBe('');
  expect(res.status).toBe(0);
}
