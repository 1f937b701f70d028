// The progress view without a terminal (CI logs, pipes): one line per event, `[12.3s] queries.basic: PASS (2.1 s)`.
import type { CheckResult } from '../result/model.js';
import type { RunEvent } from '../run/runner.js';
import { checkDuration, statusWord, whyText } from './format.js';
import type { ProgressOptions, ProgressView } from './progress.js';
import { palette, type Palette } from './text.js';
import { terminalSafe } from '../util/terminal-safe.js';

/** What a check's end looks like in one line: status, duration, and why (the reason, or the first missed threshold). */
export function endText(result: CheckResult, p: Palette): string {
  const badge = p.status(result.status, statusWord(result.status));
  const duration = checkDuration(result) ? ` (${checkDuration(result)})` : '';
  const why = whyText(result, 1);
  return `${badge}${duration}${why ? `: ${oneLine(why)}` : ''}`;
}

/** One terminal-safe line: what a check reports may come from a database (names, errors) and carry escape sequences. */
export function oneLine(text: string): string {
  return terminalSafe(text.replace(/\s*\r?\n\s*/g, ' ')).trim();
}

export function createPlainView(opts: ProgressOptions): ProgressView {
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const p = palette(opts.color);
  const titles = new Map<string, string>();
  const stream = opts.stream as NodeJS.WritableStream & { writable?: boolean };

  const line = (who: string, text: string) => {
    // A closed stream (the reader of a pipe went away) must not turn progress into a crash of the run.
    if (stream.writable === false) return;
    const elapsed = `[${(Math.max(0, now() - t0) / 1000).toFixed(1)}s]`;
    stream.write(`${p.dim(elapsed)} ${who}: ${text}\n`);
  };

  return {
    onEvent(e: RunEvent): void {
      switch (e.type) {
        case 'plan':
          for (const c of e.checks) titles.set(c.id, c.title);
          line('plan', `${e.checks.length} ${e.checks.length === 1 ? 'check' : 'checks'}${e.checks.length ? `: ${oneLine(e.checks.map((c) => c.id).join(', '))}` : ''}`);
          break;
        case 'setup':
          line('setup', oneLine(e.text));
          break;
        case 'check-start': {
          const title = titles.get(e.id);
          line(terminalSafe(e.id), `started${title ? ` (${oneLine(title)})` : ''}`);
          break;
        }
        case 'check-progress':
          line(e.id, oneLine(e.text));
          break;
        case 'check-end':
          line(terminalSafe(e.result.id), endText(e.result, p));
          break;
        case 'teardown':
          line('teardown', oneLine(e.text));
          break;
        default:
          // An event kind this view does not know yet (a newer runner): nothing to show.
          break;
      }
    },
    done: () => Promise.resolve(),
  };
}
