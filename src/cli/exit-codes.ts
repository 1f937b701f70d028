// Exit codes, documented in the README: 0 all pass/warn, 1 a check failed or a configured service could not be opened,
// 2 bad usage or config, 130 interrupted.
import type { RunResult } from '../result/model.js';

export const EXIT = { ok: 0, checkFailed: 1, usage: 2, interrupted: 130 } as const;

export function exitCodeFor(result: RunResult): number {
  if (result.interrupted) return EXIT.interrupted;
  // A configured service that could not be opened is a failed run even though its checks are skips: the stack the
  // user asked about was not tested, and CI must not go green on a wrong password.
  if (Object.keys(result.environment.unopened ?? {}).length > 0) return EXIT.checkFailed;
  return result.checks.some((c) => c.status === 'fail') ? EXIT.checkFailed : EXIT.ok;
}
