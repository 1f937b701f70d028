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
