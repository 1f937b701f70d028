// `run --dashboard`: serves the live page on 127.0.0.1 while a run goes and pushes its state over server-sent events;
// when the run ends it sends the final report (report.html's body) and closes. Nothing is served to other hosts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Comparison } from '../../compare/model.js';
import type { Mode, RunResult } from '../../result/model.js';
import type { RunEvent } from '../../result/events.js';
import { ConfigError } from '../../util/errors.js';
import { renderBody } from '../html/index.js';
import { finalBody, livePage } from './page.js';
import { LiveState } from './state.js';

/** The elapsed time and the running check's line move even when no event comes (a long stage of a load test). */
const TICK_MS = 1000;
/** Clients that do not take the final state within this are cut off: the run's exit never waits on a browser. */
const CLOSE_GRACE_MS = 2000;

export interface Dashboard {
  url: string;
  onEvent(e: RunEvent): void;
  /** Sends the final report to every client, then closes the server. */
  finish(result: RunResult, opts?: { comparison?: Comparison; reportFile?: string }): Promise<void>;
  /** Closes without a final state (the run failed before it had a result). Safe to call twice. */
  close(): Promise<void>;
}

export interface DashboardOptions {
  /** 0 (the default): any free port, printed by the caller. */
  port: number;
  mode: Mode;
}

/** `--dashboard` (true) or `--dashboard=PORT`. */
export function parseDashboardPort(v: string | boolean): number {
  if (v === true) return 0;
  const s = String(v).trim();
  if (!/^\d{1,5}$/.test(s) || Number(s) > 65535) throw new ConfigError(`--dashboard: expected a port number from 0 to 65535, got ${JSON.stringify(v)}`);
  return Number(s);
}

function sse(res: http.ServerResponse, event: string, data: unknown): void {
  // A browser that went away mid-run: its response is destroyed and skipped; the run and the other clients go on.
  if (res.destroyed || res.writableEnded) return;
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      reject(err.code === 'EADDRINUSE'
        ? new ConfigError(`--dashboard: port ${port} on 127.0.0.1 is in use; choose another (--dashboard=PORT) or let stackprobe pick a free one (--dashboard)`)
        : new ConfigError(`--dashboard: cannot listen on 127.0.0.1:${port}: ${err.message}`));
    };
    const onListening = () => { server.off('error', onError); resolve(); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
}

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const state = new LiveState(opts.mode);
  const clients = new Set<http.ServerResponse>();
  let final: string | undefined;
  let sentVersion = -1;
  let scheduled = false;
  const server = http.createServer((req, res) => {
    // Only this machine's names for this port: a page elsewhere cannot rebind a hostname onto it and read the run.
    const host = req.headers.host ?? '';
    if (!/^(127\.0\.0\.1|localhost):\d+$/.test(host)) { res.writeHead(403).end('forbidden\n'); return; }
    if (req.method !== 'GET') { res.writeHead(405, { allow: 'GET' }).end(); return; }
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(livePage(final ?? state.body()));
      return;
    }
    if (req.url === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      if (final !== undefined) { sse(res, 'done', { body: final }); res.end(); return; }
      clients.add(res);
      sse(res, 'state', { body: state.body() });
      req.on('close', () => clients.delete(res));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  await listen(server, opts.port);
  const port = (server.address() as AddressInfo).port;

  const push = () => {
    // No browser, no rendering: a run nobody watches pays nothing for its live view during a check.
    if (final !== undefined || clients.size === 0) return;
    if (state.version !== sentVersion) {
      sentVersion = state.version;
      const body = state.body();
      for (const c of clients) sse(c, 'state', { body });
    } else {
      const html = state.progressHtml();
      for (const c of clients) sse(c, 'progress', { html });
    }
  };
  const tick = setInterval(push, TICK_MS);
  tick.unref();

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      clearInterval(tick);
      for (const c of clients) c.end();
      clients.clear();
      const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
      server.close(() => { clearTimeout(force); resolve(); });
      server.closeIdleConnections();
    });
    return closed;
  };

  return {
    url: `http://127.0.0.1:${port}/`,
    onEvent(e) {
      state.onEvent(e);
      // A check's end changes the report: sent at once (the skipped checks' ends, emitted in one loop, as one update);
      // progress lines wait for the next tick.
      if ((e.type === 'check-end' || e.type === 'plan') && !scheduled) {
        scheduled = true;
        queueMicrotask(() => { scheduled = false; push(); });
      }
    },
    async finish(result, o = {}) {
      final = finalBody(renderBody(result, o.comparison ? { comparison: o.comparison } : {}), result, o.reportFile);
      for (const c of clients) sse(c, 'done', { body: final });
      await close();
    },
    close,
  };
}
