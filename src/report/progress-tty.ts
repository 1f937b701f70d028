// The progress view on a terminal: redraws the layout (progress-layout.ts) in place a few times a second, sized to the
// terminal. Hand-made rather than listr2: listr2 shows WARN with PASS's tick and cannot keep 35 checks in 24 lines.
import type { RunEvent } from '../result/events.js';
import { layoutProgress } from './progress-layout.js';
import type { ProgressOptions, ProgressView } from './progress.js';
import { ProgressState } from './progress-state.js';
import { palette } from './text.js';

const REDRAW_MS = 250;
const SPARE_COLUMNS = 6;
const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';

export function createTtyView(opts: ProgressOptions): ProgressView {
  const now = opts.now ?? (() => performance.now());
  const state = new ProgressState(now);
  const p = palette(opts.color);
  const stream = opts.stream as NodeJS.WriteStream;
  let drawn = 0;
  let finished = false;

  const draw = () => {
    if (stream.writable === false) return;
    // Columns to spare: a line that fills the last column, or whose marks (▲ … ·, East Asian "ambiguous" width) a
    // terminal draws two columns wide, wraps, and the redraw would then drift down instead of overwriting itself.
    const lines = layoutProgress(state, { columns: Math.max(40, (stream.columns ?? 80) - SPARE_COLUMNS), rows: Math.max(8, stream.rows ?? 24), p });
    // Up to the first line drawn, then each line overwritten and erased to its end; lines a shorter frame leaves are
    // blanked. No clear-screen: terminals such as tmux copy a cleared screen into the scrollback, frame after frame.
    const up = drawn > 0 ? `\u001b[${drawn}F` : '';
    const left = Math.max(0, drawn - lines.length);
    const blank = left > 0 ? `${'\u001b[2K\n'.repeat(left)}\u001b[${left}F` : '';
    stream.write(`${up}${lines.map((l) => `${l}\u001b[K`).join('\n')}\n${blank}`);
    drawn = lines.length;
  };
  let timer: NodeJS.Timeout | undefined;

  return {
    onEvent(e: RunEvent): void {
      if (finished) return;
      state.apply(e);
      if (!timer) {
        stream.write(HIDE_CURSOR);
        // Unref'd: the view never keeps a finished run alive.
        timer = setInterval(draw, REDRAW_MS);
        timer.unref();
      }
      if (e.type !== 'check-progress') draw();
    },
    done(): Promise<void> {
      if (finished) return Promise.resolve();
      finished = true;
      if (timer) {
        clearInterval(timer);
        draw();
        stream.write(SHOW_CURSOR);
      }
      return Promise.resolve();
    },
  };
}
