// Where each service URL of the effective config came from: flags over the environment over the config file. A URL set
// in two places with different values is exactly the case a user must be told about (a file's `…/test` silently beating
// DATABASE_URL once made a run write its workload into the wrong database).
import { redactUrl } from '../util/redact.js';

export const URL_KEYS = ['database_url', 'redis_url', 'celery_broker_url', 'celery_result_backend'] as const;
export type UrlKey = (typeof URL_KEYS)[number];

const ENV_NAME: Record<UrlKey, string> = {
  database_url: 'DATABASE_URL', redis_url: 'REDIS_URL', celery_broker_url: 'CELERY_BROKER_URL', celery_result_backend: 'CELERY_RESULT_BACKEND',
};

export type UrlOrigin = 'flag' | 'environment' | 'config file';

export interface UrlSource {
  key: UrlKey;
  from: UrlOrigin;
  /** How the user wrote it there: `DATABASE_URL`, `database_url`. */
  name: string;
  /** Redacted. */
  url: string;
  /** Lower layers that set a different value, which this one overrode (redacted). */
  overrode: Array<{ from: UrlOrigin; name: string; url: string }>;
}

interface Layers {
  file: Record<string, unknown>;
  env: Record<string, unknown>;
  flags: Record<string, unknown>;
}

/** Highest precedence first. */
function layersOf(l: Layers): Array<{ from: UrlOrigin; values: Record<string, unknown>; name: (k: UrlKey) => string }> {
  return [
    { from: 'flag', values: l.flags, name: (k) => `--${k.replace(/_/g, '-')}` },
    { from: 'environment', values: l.env, name: (k) => ENV_NAME[k] },
    { from: 'config file', values: l.file, name: (k) => k },
  ];
}

export function urlSources(l: Layers): UrlSource[] {
  const out: UrlSource[] = [];
  for (const key of URL_KEYS) {
    const set = layersOf(l).filter((layer) => typeof layer.values[key] === 'string');
    const [won, ...rest] = set;
    if (!won) continue;
    const value = won.values[key] as string;
    out.push({
      key, from: won.from, name: won.name(key), url: redactUrl(value),
      overrode: rest.filter((r) => r.values[key] !== value).map((r) => ({ from: r.from, name: r.name(key), url: redactUrl(r.values[key] as string) })),
    });
  }
  return out;
}

/** One line per URL that overrode a different value, e.g. for the first lines of a run. */
export function overrideLines(sources: UrlSource[], file?: string): string[] {
  return sources.filter((s) => s.overrode.length > 0).map((s) => {
    const others = s.overrode.map((o) => `${o.from === 'config file' && file ? `${file}'s` : `the ${o.from}'s`} ${o.name} (${o.url})`).join(' and ');
    return `Using ${s.name} from the ${s.from} (${s.url}), not ${others}: flags > environment > config file`;
  });
}

/** `config validate`'s lines: each URL, where it came from, and what it overrode. */
export function sourceLines(sources: UrlSource[], file?: string): string[] {
  return URL_KEYS.map((key) => {
    const s = sources.find((x) => x.key === key);
    if (!s) return `${key}: not set`;
    const over = s.overrode.map((o) => `; overrides ${o.from === 'config file' && file ? file : `the ${o.from}`} ${o.name} (${o.url})`).join('');
    return `${key}: ${s.url} from the ${s.from} (${s.name})${over}`;
  });
}
