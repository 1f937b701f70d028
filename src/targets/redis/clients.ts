// CLIENT LIST parsed into the fields a check judges: name, age, idle, flags, the command, buffers. Addresses are dropped.

export interface ClientEntry {
  name: string;
  age_s: number;
  idle_s: number;
  /** CLIENT LIST flags: `b` blocked, `S` replica, `M` master, `P` pub/sub, `x` in MULTI, `N` none. */
  flags: string;
  /** The last command's name only (`blpop`, `client|list`): never its arguments. */
  cmd: string;
  /** Output buffer: bytes queued for the client (omem) and reply list length (oll). */
  omem: number;
  oll: number;
  /** Query buffer bytes (qbuf): a command the server has read but not run yet. */
  qbuf: number;
  totMem: number;
}

/** One line per client, `key=value` pairs separated by spaces (a name cannot contain spaces; CLIENT SETNAME refuses them). */
export function parseClientList(text: string): ClientEntry[] {
  const out: ClientEntry[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const f = new Map<string, string>();
    for (const part of line.split(' ')) {
      const i = part.indexOf('=');
      if (i > 0) f.set(part.slice(0, i), part.slice(i + 1));
    }
    const n = (k: string) => Number(f.get(k) ?? 0) || 0;
    out.push({
      name: f.get('name') ?? '', age_s: n('age'), idle_s: n('idle'), flags: f.get('flags') ?? '', cmd: f.get('cmd') ?? '',
      omem: n('omem'), oll: n('oll'), qbuf: n('qbuf'), totMem: n('tot-mem'),
    });
  }
  return out;
}
