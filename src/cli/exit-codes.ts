// Exit codes, documented in the README: 0 all pass/warn, 1 a check failed or a configured service could not be opened,
// 2 bad usage or config, 3 a fail threshold was missed while stackprobe's own client was saturated (and nothing failed
// outright), 130 interrupted.
import type { RunResult } from '../result/model.js';

export const EXIT = { ok: 0, checkFailed: 1, usage: 2, untrusted: 3, interrupted: 130 } as const;

export function exitCodeFor(result: RunResult): number {
  if (result.interrupted) return EXIT.interrupted;
  // A configured service that could not be opened is a failed run even though its checks are skips: the stack the
  // user asked about was not tested, and CI must not go green on a wrong password.
  if (Object.keys(result.environment.unopened ?? {}).length > 0) return EXIT.checkFailed;
  if (result.checks.some((c) => c.status === 'fail')) return EXIT.checkFailed;
  // A missed threshold the client could not measure faithfully is neither green nor a failure of the system: CI sees
  // its own code and can retry on a larger runner or fail the job.
  return result.checks.some((c) => c.status === 'untrusted') ? EXIT.untrusted : EXIT.ok;
}
