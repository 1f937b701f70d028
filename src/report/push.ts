// Sends the Prometheus exposition to a Pushgateway (PUT replaces the job's previous figures), bounded by a timeout.
import { redactText, redactUrl } from '../util/redact.js';

const formatSeconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

export class PushError extends Error {
  override readonly name = 'PushError';
}

/** `http://gw:9091` -> `http://gw:9091/metrics/job/stackprobe`; a URL that already names `/metrics/job/…` is kept. */
export function pushUrl(base: string, job: string): string {
  const u = new URL(base);
  if (!/\/metrics\/job\//.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/+$/, '')}/metrics/job/${encodeURIComponent(job)}`;
  return u.toString();
}

/**
 * The URL without its user and password, and those as an `Authorization: Basic` header: fetch refuses a URL with
 * credentials in it, and a Pushgateway behind basic auth (its --web.config.file, or a proxy) takes them this way.
 */
function splitCredentials(url: string): { url: string; headers: Record<string, string> } {
  const u = new URL(url);
  if (u.username === '' && u.password === '') return { url, headers: {} };
  const pair = `${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`;
  u.username = '';
  u.password = '';
  return { url: u.toString(), headers: { authorization: `Basic ${Buffer.from(pair, 'utf8').toString('base64')}` } };
}

export async function pushToGateway(base: string, job: string, body: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const url = pushUrl(base, job);
  const target = splitCredentials(url);
  const signals = [AbortSignal.timeout(opts.timeoutMs ?? 10_000), ...(opts.signal ? [opts.signal] : [])];
  let res: Response;
  try {
    res = await fetch(target.url, { method: 'PUT', body, headers: { 'content-type': 'text/plain; version=0.0.4', ...target.headers }, signal: AbortSignal.any(signals) });
  } catch (err) {
    // The network's reason (ECONNREFUSED, ENOTFOUND), else the timeout's, else what fetch said, never a bare "TypeError".
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const cause = e.cause?.code ?? (e.name === 'TimeoutError' ? `no answer within ${formatSeconds(opts.timeoutMs ?? 10_000)}` : e.cause?.message ?? e.message);
    throw new PushError(`cannot push to the Pushgateway at ${redactUrl(url)}: ${redactText(cause)}`);
  }
  if (!res.ok) {
    const text = (await res.text()).slice(0, 300).trim();
    throw new PushError(`the Pushgateway at ${redactUrl(url)} answered ${res.status}${text ? `: ${text}` : ''}`);
  }
}
