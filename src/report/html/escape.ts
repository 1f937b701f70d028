// HTML escaping for text and attribute values: every string from a result (query names, findings, URLs) goes through it.

const MAP: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => MAP[c]!);
}

/** A DOM id / anchor from any text: only characters that need no escaping anywhere. */
export function anchor(s: string): string {
  return s.replace(/[^a-zA-Z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
}
