// cache.server's clients: CLIENT LIST grouped by client name (as a pattern), idle and blocked clients, output buffers.
import type { RedisClient as Redis } from '../../targets/redis/types.js';
import { withTimeout } from '../../exec/timeout.js';
import type { CacheConfig } from '../../config/sections/cache.js';
import { parseClientList, type ClientEntry } from '../../targets/redis/clients.js';
import { keyPattern } from './keyspace-patterns.js';
import type { Problem } from './server-findings.js';

const MB = 1024 * 1024;

export interface ClientGroup {
  /** The client name folded like a key name (ids and tokens become placeholders); `(no name)` for clients without one. */
  name: string;
  clients: number;
  idle: number;
  max_idle_s: number;
  blocked: number;
  /** The commands the blocked clients wait in (`blpop`, `brpop`, `xread`). */
  blocked_in: string[];
  replicas: number;
  pubsub: number;
  output_buffer_max_mb: number;
  output_replies_max: number;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

export function groupClients(list: ClientEntry[], idleS: number): ClientGroup[] {
  const by = new Map<string, ClientGroup>();
  for (const c of list) {
    const name = c.name ? keyPattern(c.name) : '(no name)';
    const g = by.get(name) ?? { name, clients: 0, idle: 0, max_idle_s: 0, blocked: 0, blocked_in: [], replicas: 0, pubsub: 0, output_buffer_max_mb: 0, output_replies_max: 0 };
    g.clients++;
    if (c.idle_s >= idleS) g.idle++;
    g.max_idle_s = Math.max(g.max_idle_s, c.idle_s);
    if (c.flags.includes('b')) {
      g.blocked++;
      if (!g.blocked_in.includes(c.cmd)) g.blocked_in.push(c.cmd);
    }
    if (c.flags.includes('S')) g.replicas++;
    if (c.flags.includes('P')) g.pubsub++;
    g.output_buffer_max_mb = Math.max(g.output_buffer_max_mb, round(c.omem / MB));
    g.output_replies_max = Math.max(g.output_replies_max, c.oll);
    by.set(name, g);
  }
  return [...by.values()].sort((a, b) => b.clients - a.clients || a.name.localeCompare(b.name));
}

/** CLIENT LIST grouped, or why it was not read (too many clients to list, or refused). */
export async function readClients(client: Redis, info: Record<string, string>, cfg: CacheConfig, timeoutMs: number): Promise<{ groups: ClientGroup[] } | { skipped: string }> {
  const connected = Number(info.connected_clients ?? 0);
  if (connected > cfg.server.max_clients_listed) {
    return { skipped: `${connected} clients connected, more than server.max_clients_listed (${cfg.server.max_clients_listed}): CLIENT LIST not read` };
  }
  const text = (await withTimeout(client.call('CLIENT', 'LIST'), timeoutMs, 'CLIENT LIST')) as string;
  return { groups: groupClients(parseClientList(String(text)), cfg.server.idle_client_s) };
}

export function clientProblems(groups: ClientGroup[], cfg: CacheConfig): Problem[] {
  const out: Problem[] = [];
  const limit = cfg.server.output_buffer_mb;
  for (const g of groups.filter((x) => x.output_buffer_max_mb >= limit && x.replicas === 0)) {
    out.push({ problem: 'output_buffer', finding: {
      severity: 'warn', subject: g.name,
      title: `a client named ${g.name} has ${g.output_buffer_max_mb.toFixed(1)} MB of replies waiting in its output buffer (at or above ${limit} MB)`,
      detail: `${g.output_replies_max} replies queued: the client asks faster than it reads (big values, a pipeline that is never drained, a pub/sub subscriber that falls behind). The server holds that memory outside maxmemory, and closes the client at client-output-buffer-limit.`,
      recommendation: 'Read replies as they come (bounded pipelines), fetch big values in parts (HSCAN, GETRANGE) or make them smaller, and give pub/sub subscribers the speed of the publisher; set client-output-buffer-limit so one slow client cannot take the memory.',
      data: { clients: g.clients, output_buffer_mb: g.output_buffer_max_mb, replies: g.output_replies_max },
    } });
  }
  return out;
}

/** Blocked clients said as a fact, not a problem: a queue consumer waiting in BLPOP/BRPOP is how queues work. */
export function blockedNote(groups: ClientGroup[]): { severity: 'info'; title: string; detail: string; data: Record<string, unknown> } | undefined {
  const blocked = groups.filter((g) => g.blocked > 0);
  if (blocked.length === 0) return undefined;
  const total = blocked.reduce((n, g) => n + g.blocked, 0);
  return {
    severity: 'info',
    title: `${total} client${total === 1 ? '' : 's'} blocked: ${blocked.map((g) => `${g.blocked} ${g.name} in ${g.blocked_in.join('/')}`).join(', ')}`,
    detail: 'A blocked client waits in a blocking command (BLPOP, BRPOP, BLMOVE, XREAD BLOCK, WAIT) until data arrives or its timeout ends; for queue consumers that is normal. A client blocked with no consumer role, or many more than workers, is a connection held for nothing.',
    data: Object.fromEntries(blocked.map((g) => [g.name, { blocked: g.blocked, in: g.blocked_in }])),
  };
}
