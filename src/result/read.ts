// Reads a run.json from disk: not a regular file, too large, not JSON, histograms that inflate beyond their limits,
// truncated or of another schema -> ConfigError (exit 2), in time and memory bounded by the file's size limit.
import type { RunResult } from './model.js';
import { validateRunResult } from './validate.js';
import { HistogramDecodeError, InflateBudget } from '../metrics/inflate.js';
import { ConfigError, describeError } from '../util/errors.js';
import { MAX_RUN_JSON_BYTES, readBoundedText } from '../util/read-bounded.js';
import { redactText } from '../util/redact.js';

/**
 * Inflates every `histogram` string in the file once against one budget for the whole file, so that many small zlib
 * bombs (each under the per-histogram limit) cannot add up; an iterative walk, so nesting cannot overflow the stack.
 */
function checkHistograms(data: unknown, file: string): void {
  const budget = new InflateBudget();
  const stack: unknown[] = [data];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    for (const [k, child] of Object.entries(v)) {
      if (k === 'histogram' && typeof child === 'string') {
        try {
          budget.inflate(child);
        } catch (err) {
          if (err instanceof HistogramDecodeError) throw new ConfigError(`${file}: not a valid stackprobe result: ${err.message}`);
          throw err;
        }
      } else stack.push(child);
    }
  }
}

export async function readRunFile(file: string): Promise<RunResult> {
  const text = await readBoundedText(file, file, MAX_RUN_JSON_BYTES);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not a stackprobe result: the file is not valid JSON (${describeError(err)})`);
  }
  checkHistograms(data, file);
  const checked = validateRunResult(data);
  if (!checked.ok) {
    const versionProblem = checked.problem.startsWith('schemaVersion ');
    throw new ConfigError(`${file}: ${versionProblem ? '' : 'not a valid stackprobe result: '}${redactText(checked.problem)}`);
  }
  return checked.result;
}
