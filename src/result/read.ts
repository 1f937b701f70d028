// Reads a run.json from disk: unreadable, not JSON, truncated or of another schema -> ConfigError (exit 2).
import { readFile } from 'node:fs/promises';
import { parseRunJson } from '../report/json.js';
import type { RunResult } from './model.js';
import { ConfigError } from '../util/errors.js';

export async function readRunFile(file: string): Promise<RunResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseRunJson(text, file);
}
