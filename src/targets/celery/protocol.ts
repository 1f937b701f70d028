// Celery's task message protocol version 2: headers, properties and the JSON body `[args, kwargs, embed]`, as pure data.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** One task message before a transport frames it (kombu's Redis envelope, or AMQP properties). */
export interface TaskMessage {
  id: string;
  headers: Record<string, unknown>;
  properties: {
    correlation_id: string;
    reply_to: string;
    delivery_mode: 2;
    priority: number;
  };
  /** The JSON text of `[args, kwargs, embed]` (utf-8). */
  body: string;
  contentType: 'application/json';
  contentEncoding: 'utf-8';
  ttlMs?: number;
}

export interface TaskOptions {
  kwargs?: Record<string, unknown>;
  id?: string;
  /**
   * How long the broker may keep the message (AMQP per-message TTL). Deliberately not Celery's `expires` header:
   * Celery 5.2's retry() re-sends a string `expires` and crashes on it (TypeError), so a probe that retries would break.
   */
  ttlMs?: number;
  priority?: number;
  /** Asks the worker not to store the result (Celery 5.2 honours the header for successful tasks). */
  ignoreResult?: boolean;
}

/** What Celery writes into `origin`: `gen<pid>@<host>` like its own producers. */
export const ORIGIN = `gen${process.pid}@${hostname()}`;

/** Python's repr of simple JSON values, for `argsrepr`/`kwargsrepr` (shown by `celery inspect` and Flower). */
export function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  return String(v);
}

function argsRepr(args: unknown[]): string {
  // A Python tuple: one element needs the trailing comma.
  return args.length === 1 ? `(${pyRepr(args[0])},)` : `(${args.map(pyRepr).join(', ')})`;
}

/** Builds a protocol-v2 task message; the task id doubles as root id and correlation id, as Celery's own `apply_async` does. */
export function buildTaskMessage(task: string, args: unknown[], opts: TaskOptions = {}): TaskMessage {
  const id = opts.id ?? randomUUID();
  const kwargs = opts.kwargs ?? {};
  const embed = { callbacks: null, errbacks: null, chain: null, chord: null };
  return {
    id,
    headers: {
      lang: 'py',
      task,
      id,
      shadow: null,
      eta: null,
      expires: null,
      group: null,
      group_index: null,
      retries: 0,
      timelimit: [null, null],
      root_id: id,
      parent_id: null,
      argsrepr: argsRepr(args),
      kwargsrepr: pyRepr(kwargs),
      origin: ORIGIN,
      ignore_result: opts.ignoreResult ?? false,
    },
    properties: { correlation_id: id, reply_to: '', delivery_mode: 2, priority: opts.priority ?? 0 },
    body: JSON.stringify([args, kwargs, embed]),
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    ...(opts.ttlMs ? { ttlMs: opts.ttlMs } : {}),
  };
}

/** A final (ready) state: Celery's READY_STATES. */
export const READY_STATES = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

export interface ResultMeta {
  status: string;
  result: unknown;
  traceback?: string | null;
  date_done?: string | null;
  task_id?: string;
}

/** Parses the result backend's JSON meta; null when it is not a Celery result (e.g. pickled by a worker set to pickle). */
export function parseResultMeta(text: string): ResultMeta | null {
  try {
    const v = JSON.parse(text) as unknown;
    if (v && typeof v === 'object' && typeof (v as ResultMeta).status === 'string') return v as ResultMeta;
    return null;
  } catch (err) {
    // Not JSON: the worker stores results with another serializer; the caller reports that plainly.
    void err;
    return null;
  }
}

/** `date_done` as Celery 5 writes it (`datetime.utcnow().isoformat()`, naive UTC) in epoch milliseconds; NaN when absent. */
export function dateDoneMs(dateDone: string | null | undefined): number {
  if (!dateDone) return Number.NaN;
  const hasZone = /(Z|[+-]\d\d:?\d\d)$/.test(dateDone);
  return new Date(hasZone ? dateDone : `${dateDone}Z`).getTime();
}

/**
 * Parses JSON as Python's json module writes it: also `Infinity`, `-Infinity` and `NaN` outside strings (a worker's
 * `conf` with defaults carries `result_backend_max_retries: Infinity`). Linear: one pass that tracks strings.
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    if (!/Infinity|NaN/.test(text)) throw err;
  }
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (text.startsWith('Infinity', i)) {
      out += '1e999'; // JSON.parse reads it as Infinity
      i += 7;
    } else if (text.startsWith('NaN', i)) {
      out += 'null';
      i += 2;
    } else out += c;
  }
  return JSON.parse(out) as unknown;
}
