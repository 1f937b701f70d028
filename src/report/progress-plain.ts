// The progress view without a terminal (CI logs, pipes): one line per event with the elapsed time, the overall count and
// the ETA, `[12.3s 5/35] queries.basic: PASS (2.1 s)`; checks skipped for one reason at once are one line.
import type { CheckResult } from '../result/model.js';
import type { RunEvent } from '../result/events.js';
import { checkDuration, statusWord, whyText } from './format.js';
import type { ProgressOptions, ProgressView } from './progress.js';
import { ProgressState } from './progress-state.js';
import { clock, oneLine } from './progress-text.js';
import { palette, type Palette } from './text.js';
import { terminalSafe } from '../util/terminal-safe.js';

export { oneLine } from './progress-text.js';

/** Why a check did not simply pass, on one line: its reason, or its first missed threshold. */
export function endWhy(result: CheckResult): string {
  return oneLine(whyText(result, 1));
}

/** What a check's end looks like in one line: status, duration, and why. */
export function endText(result: CheckResult, p: Palette): string {
  const badge = p.status(result.status, statusWord(result.status));
  const duration = checkDuration(result) ? ` (${checkDuration(result)})` : '';
  const why = endWhy(result);
  return `${badge}${duration}${why ? `: ${why}` : ''}`;
}

export function createPlainView(opts: ProgressOptions): ProgressView {
  const now = opts.now ?? (() => performance.now());
  const state = new ProgressState(now);
  const p = palette(opts.color);
  const stream = opts.stream as NodeJS.WritableStream & { writable?: boolean };
  /** Skips that arrived together with one reason, printed as one line when something else happens. */
  let skips: { reason: string; ids: string[] } | undefined;

  const line = (who: string, text: string) => {
    // A closed stream (the reader of a pipe went away) must not turn progress into a crash of the run.
    if (stream.writable === false) return;
    const { done, total } = state.counts();
    const elapsed = `[${(state.elapsedMs() / 1000).toFixed(1)}s${total ? ` ${done}/${total}` : ''}]`;
    stream.write(`${p.dim(elapsed)} ${who}: ${text}\n`);
  };
  const flush = () => {
    if (!skips) return;
    const { reason, ids } = skips;
    skips = undefined;
    if (ids.length === 1) line(ids[0]!, `${p.status('skip', 'SKIP')}: ${reason}`);
    else line(`${ids.length} checks`, `${p.status('skip', 'SKIP')}: ${reason} (${ids.slice(0, 6).join(', ')}${ids.length > 6 ? ', …' : ''})`);
  };

  return {
    onEvent(e: RunEvent): void {
      const skipped = e.type === 'check-end' && e.result.status === 'skip' && e.result.durationMs === 0 ? e.result : undefined;
      if (!skipped || (skips && skips.reason !== endWhy(skipped))) flush();
      state.apply(e);
      switch (e.type) {
        case 'plan':
          line('plan', `${e.checks.length} ${e.checks.length === 1 ? 'check' : 'checks'}${e.checks.length ? `: ${oneLine(e.checks.map((c) => c.id).join(', '))}` : ''}`);
          break;
        case 'setup':
          line('setup', oneLine(e.text));
          break;
        case 'check-start': {
          const title = state.slots.get(e.id)?.title;
          line(terminalSafe(e.id), `started${title && title !== e.id ? ` (${title})` : ''}`);
          break;
        }
        case 'check-progress':
          line(oneLine(e.id), oneLine(e.text));
          break;
        case 'check-end': {
          if (skipped) {
            skips ??= { reason: endWhy(skipped), ids: [] };
            skips.ids.push(oneLine(skipped.id));
            break;
          }
          const eta = state.etaMs();
          const left = eta !== undefined && state.counts().done < state.counts().total ? ` · ETA ~${clock(eta)}` : '';
          line(oneLine(e.result.id), `${endText(e.result, p)}${p.dim(left)}`);
          break;
        }
        case 'teardown':
          line('teardown', oneLine(e.text));
          break;
        default:
          // An event kind this view does not know yet (a newer runner): nothing to show.
          break;
      }
    },
    done: () => {
      flush();
      return Promise.resolve();
    },
  };
}
