// The order test files start in. Vitest runs the files it has timings for longest first, but a fresh checkout (CI) has
// none, and then the order is the glob's: the 2.5-minute docs test started mid-lane and finished alone, 1–2 minutes
// after every other shared file. The longest files known here start first; the rest keep vitest's own order.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Longest first, from full runs on a 2-core host (2026-11-30); a file missing here just starts in vitest's order. */
const LONGEST_FIRST = [
  'docs-commands', 'cli-input', 'backup-fixtures', 'integrity-realworld', 'compare-cli', 'backup-safety', 'attack-readonly',
  'quick-run', 'backup-drill-pgbackrest', 'majors-matrix', 'wire-readonly-majors', 'replay-typed', 'cli',
].map((name) => `/test/integration/${name}.test.ts`);

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification): number => {
      const i = LONGEST_FIRST.findIndex((p) => f.moduleId.endsWith(p));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    const at = new Map(sorted.map((f, i) => [f, i]));
    // Projects keep vitest's grouping (group order, then name); within one, the known long files lead.
    return [...sorted].sort((a, b) =>
      a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder
      || (a.project.name < b.project.name ? -1 : a.project.name > b.project.name ? 1 : 0)
      || rank(a) - rank(b)
      || at.get(a)! - at.get(b)!);
  }
}
