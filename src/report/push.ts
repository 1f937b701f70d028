// Sends the Prometheus exposition to a Pushgateway (PUT replaces the job's previous figures), bounded by a timeout.
import { redactUrl } from '../util/redact.js';

export class PushError extends Error {
  override readonly name = 'PushError';
}

/** `http://gw:9091` -> `http://gw:9091/metrics/job/stackprobe`; a URL that already names `/metrics/job/…` is kept. */
export function pushUrl(base: string, job: string): string {
  const u = new URL(base);
  if (!/\/metrics\/job\//.test(u.pathname)) u.pathname = `${u.pathname.replace(/\/+$/, '')}/metrics/job/${encodeURIComponent(job)}`;
  return u.toString();
}

export async function pushToGateway(base: string, job: string, body: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
  const url = pushUrl(base, job);
  const signals = [AbortSignal.timeout(opts.timeoutMs ?? 10_000), ...(opts.signal ? [opts.signal] : [])];
  let res: Response;
  try {
    res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': 'text/plain; version=0.0.4' }, signal: AbortSignal.any(signals) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new PushError(`cannot push to the Pushgateway at ${redactUrl(url)}: ${cause}`);
  }
  if (!res.ok) {
    const text = (await res.text()).slice(0, 300).trim();
    throw new PushError(`the Pushgateway at ${redactUrl(url)} answered ${res.status}${text ? `: ${text}` : ''}`);
  }
}
