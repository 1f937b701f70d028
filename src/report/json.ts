// run.json out and back in: pretty JSON, and a reader that checks a file really is a stackprobe result of this schema version.
import type { RunResult } from '../result/model.js';
import { validateRunResult } from '../result/validate.js';
import { redactText } from '../util/redact.js';
import { ConfigError, describeError } from '../util/errors.js';

export function renderJson(result: RunResult): string {
  return `${JSON.stringify(result, null, 2)}\n`;
}

/**
 * Reads a run.json written by `renderJson`, validated by the one run.json schema (src/result/validate.ts): any problem is
 * a ConfigError naming the file and the JSON path, so `report`, `compare`, `merge` and `history` exit 2 with one line.
 */
export function parseRunJson(text: string, file: string): RunResult {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not a stackprobe result: the file is not valid JSON (${describeError(err)})`);
  }
  const checked = validateRunResult(data);
  if (!checked.ok) {
    const versionProblem = checked.problem.startsWith('schemaVersion ');
    throw new ConfigError(`${file}: ${versionProblem ? '' : 'not a valid stackprobe result: '}${redactText(checked.problem)}`);
  }
  return checked.result;
}
