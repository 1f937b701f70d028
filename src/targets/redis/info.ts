// Parses the text of Redis INFO into a flat map (`section` headers dropped; `db0:keys=1,expires=0` kept as a string).
export function parseInfo(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

/** `keys=12,expires=3,avg_ttl=0` -> { keys: 12, expires: 3, avg_ttl: 0 } */
export function parseKeyspaceEntry(value: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of value.split(',')) {
    const [k, v] = part.split('=');
    if (k && v !== undefined) out[k] = Number(v);
  }
  return out;
}

/** One command's counters from INFO commandstats (`cmdstat_get:calls=42,usec=54,…`); subcommands as `config|get`. */
export interface CommandStat {
  calls: number;
  usec: number;
  rejected: number;
  failed: number;
}

/** Every `cmdstat_*` line of a parsed INFO, by command name (lower case, as the server names it). */
export function parseCommandstats(info: Record<string, string>): Map<string, CommandStat> {
  const out = new Map<string, CommandStat>();
  for (const [k, v] of Object.entries(info)) {
    if (!k.startsWith('cmdstat_')) continue;
    const e = parseKeyspaceEntry(v);
    out.set(k.slice('cmdstat_'.length), { calls: e.calls ?? 0, usec: e.usec ?? 0, rejected: e.rejected_calls ?? 0, failed: e.failed_calls ?? 0 });
  }
  return out;
}

/** A replica as its master lists it in INFO replication (`slave0:ip=…,port=…,state=online,offset=…,lag=0`). */
export interface ReplicaEntry {
  /** `slave0`, `slave1`, … (the address is not kept: the report names replicas by position). */
  id: string;
  state: string;
  offset: number;
  /** Seconds since the replica's last acknowledgement. */
  lag_s: number;
}

export function parseReplicas(info: Record<string, string>): ReplicaEntry[] {
  const out: ReplicaEntry[] = [];
  for (const [k, v] of Object.entries(info)) {
    if (!/^slave\d+$/.test(k)) continue;
    const fields = Object.fromEntries(v.split(',').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
    out.push({ id: k, state: fields.state ?? 'unknown', offset: Number(fields.offset ?? 0) || 0, lag_s: Number(fields.lag ?? 0) || 0 });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
}

/** A master of a Redis Cluster as CLUSTER NODES lists it: its id, address and the slot ranges it serves. */
export interface ClusterNode {
  id: string;
  host: string;
  port: number;
  /** `host:port`, the name a report gives it. */
  address: string;
  /** Inclusive ranges; a slot being imported or migrated (`[slot->-id]`) is left out: the node does not serve it yet. */
  slots: Array<[number, number]>;
  slotCount: number;
  /** CLUSTER NODES flags (`master`, `myself`, `fail?`, `fail`, …). */
  flags: string[];
}

/**
 * The masters of CLUSTER NODES (`<id> <ip:port@cport[,hostname]> <flags> <master> <ping> <pong> <epoch> <link> <slot>…`),
 * every Redis version's form (CLUSTER SHARDS is 7.0+). A master without an address (`noaddr`, `:0`) is left out.
 */
export function parseClusterNodes(text: string): ClusterNode[] {
  const out: ClusterNode[] = [];
  for (const line of text.split(/\r?\n/)) {
    const f = line.trim().split(' ');
    if (f.length < 8) continue;
    const flags = f[2]!.split(',');
    if (!flags.includes('master') || flags.includes('noaddr')) continue;
    const addr = f[1]!.split('@')[0]!;
    const colon = addr.lastIndexOf(':');
    const host = addr.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(addr.slice(colon + 1));
    if (!host || !Number.isInteger(port) || port <= 0) continue;
    const slots: Array<[number, number]> = [];
    for (const s of f.slice(8)) {
      if (s.startsWith('[')) continue;
      const [a, b] = s.split('-').map(Number);
      if (Number.isInteger(a) && (b === undefined || Number.isInteger(b))) slots.push([a!, b ?? a!]);
    }
    const slotCount = slots.reduce((n, [a, b]) => n + b - a + 1, 0);
    out.push({ id: f[0]!, host, port, address: `${host.includes(':') ? `[${host}]` : host}:${port}`, slots, slotCount, flags });
  }
  return out.sort((a, b) => (a.slots[0]?.[0] ?? 16384) - (b.slots[0]?.[0] ?? 16384) || a.address.localeCompare(b.address));
}
