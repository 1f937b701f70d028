// Exit codes, documented in the README: 0 all pass/warn, 1 a check failed, 2 bad usage or config, 130 interrupted.
import type { RunResult } from '../result/model.js';

export const EXIT = { ok: 0, checkFailed: 1, usage: 2, interrupted: 130 } as const;

export function exitCodeFor(result: RunResult): number {
  if (result.interrupted) return EXIT.interrupted;
  return result.checks.some((c) => c.status === 'fail') ? EXIT.checkFailed : EXIT.ok;
}
