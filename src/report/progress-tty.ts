// The progress view on a terminal: a listr2 task list, one task per planned check, driven by the runner's events.
import {
  DefaultRenderer, Listr, ListrDefaultRendererLogLevels, ListrLogger, ProcessOutput, type ListrTask,
} from 'listr2';
import type { CheckResult } from '../result/model.js';
import type { RunEvent } from '../run/runner.js';
import { endText, oneLine } from './progress-plain.js';
import type { ProgressOptions, ProgressView } from './progress.js';
import { palette } from './text.js';

/** listr2's default renderer, allowed to draw on any stream we hand it (it otherwise falls back unless stdout is a TTY). */
class StreamRenderer extends DefaultRenderer {
  static override nonTTY = true;
}

/** The parts of listr2's task wrapper this view drives. */
interface TaskHandle {
  title: string;
  output: string;
  skip(message?: string): void;
}

/** A promise the events settle: listr2 drives the tasks, each task just waits for its check's end. */
class Gate<T> {
  readonly promise: Promise<T>;
  settled = false;
  private release!: (value: T) => void;
  constructor() {
    this.promise = new Promise<T>((resolve) => {
      this.release = resolve;
    });
  }
  open(value: T): void {
    if (this.settled) return;
    this.settled = true;
    this.release(value);
  }
}

interface Slot {
  id: string;
  title: string;
  gate: Gate<CheckResult | null>;
  task?: TaskHandle;
  output?: string;
}

export function createTtyView(opts: ProgressOptions): ProgressView {
  const p = palette(opts.color);
  const slots = new Map<string, Slot>();
  const setup = { gate: new Gate<void>(), output: 'connecting to the services', task: undefined as TaskHandle | undefined };
  const teardown = { gate: new Gate<void>(), output: '', task: undefined as TaskHandle | undefined };
  let running: Promise<void> | undefined;
  let failure: unknown;

  const slot = (id: string, title?: string): Slot => {
    let s = slots.get(id);
    if (!s) {
      s = { id: oneLine(id), title: oneLine(title ?? id), gate: new Gate() };
      slots.set(id, s);
    } else if (title !== undefined) {
      s.title = oneLine(title);
    }
    return s;
  };
  const show = (target: { task?: TaskHandle; output?: string }, text: string) => {
    target.output = oneLine(text);
    if (target.task) target.task.output = target.output;
  };

  const checkTask = (s: Slot): ListrTask<unknown, typeof StreamRenderer> => ({
    title: `${s.id}  ${p.dim(s.title)}`,
    rendererOptions: { outputBar: 1 },
    task: async (_ctx, task) => {
      s.task = task;
      if (s.output) task.output = s.output;
      const result = await s.gate.promise;
      s.task = undefined;
      const label = `${s.id}  ${p.dim(s.title)}`;
      if (!result) return task.skip(`${label}  not run`);
      const text = `${label}  ${endText(result, p)}`;
      if (result.status === 'skip') return task.skip(text);
      // A failed check shows listr2's cross; exitOnError: false lets the list go on.
      if (result.status === 'fail') throw new Error(text);
      task.title = text;
    },
  });

  const start = (checks: Array<{ id: string; title: string }>) => {
    const tasks: Array<ListrTask<unknown, typeof StreamRenderer>> = [
      {
        title: 'Setting up',
        rendererOptions: { outputBar: 1 },
        task: async (_ctx, task) => {
          setup.task = task;
          task.output = setup.output;
          await setup.gate.promise;
          setup.task = undefined;
          task.title = 'Set up';
        },
      },
      ...checks.map((c) => checkTask(slot(c.id, c.title))),
      {
        title: 'Cleaning up',
        rendererOptions: { outputBar: 1 },
        task: async (_ctx, task) => {
          teardown.task = task;
          if (teardown.output) task.output = teardown.output;
          await teardown.gate.promise;
          teardown.task = undefined;
          task.title = 'Cleaned up';
        },
      },
    ];
    const identity = (s: string) => s;
    const color = opts.color ? {} : Object.fromEntries(Object.values(ListrDefaultRendererLogLevels).map((level) => [level, identity]));
    const stream = opts.stream as NodeJS.WriteStream;
    const listr = new Listr<unknown, typeof StreamRenderer>(tasks, {
      renderer: StreamRenderer,
      concurrent: false,
      exitOnError: false,
      // Ctrl-C belongs to the runner (abort, clean up, report); listr2's own handler would exit the process.
      registerSignalListeners: false,
      rendererOptions: {
        formatOutput: 'truncate',
        collapseSubtasks: false,
        logger: new ListrLogger({ useIcons: true, processOutput: new ProcessOutput(stream, stream) }),
        color,
      },
    });
    running = listr.run().then(
      () => undefined,
      (err: unknown) => {
        failure = err;
      },
    );
  };

  return {
    onEvent(e: RunEvent): void {
      switch (e.type) {
        case 'plan':
          if (!running) start(e.checks);
          break;
        case 'setup':
          show(setup, e.text);
          break;
        case 'check-start':
          setup.gate.open();
          break;
        case 'check-progress':
          show(slot(e.id), e.text);
          break;
        case 'check-end':
          setup.gate.open();
          slot(e.result.id).gate.open(e.result);
          break;
        case 'teardown':
          setup.gate.open();
          show(teardown, e.text);
          // Skipped checks end after the cleanup; whichever waits meanwhile says what is happening.
          for (const s of slots.values()) if (s.task && !s.gate.settled) s.task.output = oneLine(e.text);
          break;
        default:
          break;
      }
    },
    async done(): Promise<void> {
      setup.gate.open();
      for (const s of slots.values()) s.gate.open(null);
      teardown.gate.open();
      await running;
      if (failure !== undefined) throw failure;
    },
  };
}
