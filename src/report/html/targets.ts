// What was tested, named at the top of the report: each target's kind, host and database (never credentials), version,
// and the services that were not used with why.
import type { RunResult, TargetFacts } from '../../result/model.js';
import { esc } from './escape.js';

const KINDS: Record<string, string> = { pg: 'PostgreSQL', postgresql: 'PostgreSQL', redis: 'Redis', celery: 'Celery broker', amqp: 'Celery broker', bullmq: 'BullMQ' };

/** host:port/path of a URL without user, password or query (a password in a query string is still a password). */
export function redactedLocation(url: string): string {
  if (!URL.canParse(url)) return url.replace(/[^\s/@]+@/g, '').replace(/[?#].*$/, '');
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
}

/** 'PostgreSQL 15.20 (Debian …) on x86_64 …' → 'PostgreSQL 15.20': the rest is in the environment section. */
function shortVersion(v: string | undefined): string {
  if (!v) return '';
  const m = /^(\S+\s+[\d.]+)/.exec(v);
  return m ? m[1]! : v.slice(0, 40);
}

function target(key: string, t: TargetFacts): string {
  const kind = KINDS[t.kind] ?? KINDS[key] ?? t.kind;
  const version = shortVersion(t.version);
  const own = t.private ? ' <span class="muted">(private server started by stackprobe: your own server was not tested)</span>' : '';
  return `<li><b>${esc(kind)}</b> <code>${esc(redactedLocation(t.url))}</code>${version ? ` <span class="muted">${esc(version)}</span>` : ''}${own}</li>`;
}

export function targetsBlock(result: RunResult): string {
  const env = result.environment;
  const tested = Object.entries(env.targets ?? {}).map(([k, t]) => target(k, t));
  const missing = Object.entries(env.unavailable ?? {}).map(([k, why]) => `<li class="muted"><b>${esc(KINDS[k] ?? k)}</b> not tested: ${esc(why)}</li>`);
  if (tested.length + missing.length === 0) return '';
  return `<ul class="targets" id="targets">${tested.join('')}${missing.join('')}</ul>`;
}
