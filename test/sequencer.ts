// The order test files start in: longest first, from the seconds each took in a full run (test/file-durations.json,
// written by test/update-durations.mjs). Vitest orders by the durations it cached, but a fresh checkout (CI) has none,
// and then the order was the glob's: the 2.5-minute docs test once started mid-lane and finished alone, 1–2 minutes
// after every other shared file. Longest first on two workers ends a lane with its shortest files, side by side.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const root = path.resolve(import.meta.dirname, '..');

/** Seconds per file (relative path), from one full run; a file missing here is new, and starts first as vitest does. */
const SECONDS: Record<string, number> = JSON.parse(readFileSync(path.join(root, 'test', 'file-durations.json'), 'utf8'));

const secondsOf = (f: TestSpecification): number => SECONDS[path.relative(root, f.moduleId)] ?? Number.POSITIVE_INFINITY;

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);

    const at = new Map(sorted.map((f, i) => [f, i]));
    // Projects keep vitest's grouping (group order, then name: in group 0 the shared files, then the unit files, short
    // and pure CPU, which fill the lane's end); within one, the longest start first.
    return [...sorted].sort((a, b) =>
      a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder
      || (a.project.name < b.project.name ? -1 : a.project.name > b.project.name ? 1 : 0)
      || secondsOf(b) - secondsOf(a)
      || at.get(a)! - at.get(b)!);
  }
}
