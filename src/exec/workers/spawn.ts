// Starts a worker thread from a module next to its caller: the built .js file, or the .ts source through tsx in development.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { withTimeout } from '../timeout.js';

/** `base` is the caller's import.meta.url, `name` the module's name without extension. */
export function spawnWorker(base: string, name: string, workerData: unknown): Worker {
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData });
  // Running from source (tests, tsx): the worker registers tsx's loader itself, then imports the TypeScript module.
  const ts = new URL(`./${name}.ts`, base).href;
  const tsxApi = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

type Message = { type: string; id?: number; [key: string]: unknown };

/**
 * A small request/response channel over a worker: `request` posts a message with an id and resolves with the reply
 * carrying that id; other messages go to `onEvent`. A worker that exits or errors fails every pending request.
 */
export class WorkerChannel {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;

  constructor(readonly worker: Worker, onEvent: (m: Message) => void) {
    worker.on('message', (m: Message) => {
      const waiter = m.id !== undefined ? this.pending.get(m.id) : undefined;
      if (!waiter) return onEvent(m);
      this.pending.delete(m.id!);
      if (m.type === 'error') waiter.reject(new Error(String(m.message)));
      else waiter.resolve(m);
    });
    const failAll = (err: Error) => {
      this.exited = err;
      for (const w of this.pending.values()) w.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => failAll(err));
    worker.on('exit', (code) => failAll(new Error(`worker thread exited (code ${code})`)));
  }

  request(message: Message, timeoutMs: number, what: string): Promise<Message> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    const reply = new Promise<Message>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    this.worker.postMessage({ ...message, id });
    return withTimeout(reply, timeoutMs, what).finally(() => this.pending.delete(id));
  }

  post(message: Message): void {
    if (!this.exited) this.worker.postMessage(message);
  }

  /** Asks the worker to finish (`close` request), then terminates it whatever it answered. */
  async close(timeoutMs: number): Promise<void> {
    try {
      if (!this.exited) await this.request({ type: 'close' }, timeoutMs, 'closing a worker thread');
    } finally {
      await this.worker.terminate();
    }
  }
}
