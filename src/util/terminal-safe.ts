// Text from a database, a plugin or a file is shown on a terminal as text: escape sequences (which can clear the screen,
// set the window title or fake a PASS) and other control characters are removed, colour or not.

/** CSI (`ESC [ … final`), OSC (`ESC ] … BEL` or `ESC ] … ESC \`), other two-byte escapes, and 8-bit CSI/OSC. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ESCAPE_SEQUENCE = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-Z\\-_]|\u009b[0-?]*[ -/]*[@-~]|\u009d[^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;
/** C0 controls except tab and newline, DEL, C1 controls, and the bidi overrides that reorder what is displayed. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function terminalSafe(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, '').replace(CONTROL, '');
}

/** A copy of `value` with every string made terminal-safe (keys too); nesting beyond `maxDepth` is dropped. */
export function terminalSafeDeep<T>(value: T, maxDepth = 64): T {
  return clean(value, maxDepth) as T;
}

function clean(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return terminalSafe(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth <= 0) return undefined;
  if (Array.isArray(value)) return value.map((v) => clean(v, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[terminalSafe(k)] = clean(v, depth - 1);
  return out;
}
