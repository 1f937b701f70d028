// Errors as values with kinds: the CLI maps each kind to an exit code and a message, never a stack trace.

/** Bad usage or configuration: exit code 2. The message names the field and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** A service the check needs is not there or not reachable: the check is `skip` with this reason. */
export class TargetUnavailableError extends Error {
  override readonly name = 'TargetUnavailableError';
}

/** Thrown by a check that decides it has nothing to measure (e.g. no custom queries configured). */
export class SkipCheck extends Error {
  override readonly name = 'SkipCheck';
}

/**
 * An output file (run.json, a report, latest.json) could not be written: a full disk, a quota, permissions. The message
 * names the file's directory and why; the run's results are still summarised on the console.
 */
export class OutputError extends Error {
  override readonly name = 'OutputError';
}

/** An operation exceeded its time budget. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/** A short, credential-free description of any thrown value, for reports and logs. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const msg = err.message || err.name;
    if (err instanceof AggregateError && err.errors.length > 0) return describeError(err.errors[0]);
    return typeof code === 'string' && !msg.includes(code) ? `${msg} (${code})` : msg;
  }
  return String(err);
}

/** A stable, low-cardinality kind for an error, used as a metric tag: a SQLSTATE, a Node error code, or the class name. */
export function errorKind(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
    return err.name;
  }
  return 'unknown';
}
