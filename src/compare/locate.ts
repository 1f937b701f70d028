// Finds the run.json a user means: a run.json file, a run's directory, or an output directory (its newest run).
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../util/errors.js';
import { readLatest } from '../util/latest.js';

async function kind(p: string): Promise<'file' | 'dir' | undefined> {
  try {
    const s = await stat(p);
    return s.isDirectory() ? 'dir' : 'file';
  } catch (err) {
    // Not there is an answer here (the caller says what was looked for); anything else is the user's to see.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`${p}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** `results/2026-…/` → its run.json; `results/` → the run latest.json names; a file → itself. */
export async function locateRunJson(given: string): Promise<string> {
  const k = await kind(given);
  if (k !== 'dir') return given;
  const inside = path.join(given, 'run.json');
  if ((await kind(inside)) === 'file') return inside;
  const latest = await readLatest(given);
  if (latest && (await kind(path.join(latest, 'run.json'))) === 'file') return path.join(latest, 'run.json');
  throw new ConfigError(`${given}: no run.json in this directory, and no latest.json naming a run in it`);
}
