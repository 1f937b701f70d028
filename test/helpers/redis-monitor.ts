// Test helper: watch every command a Redis server receives (MONITOR) over a socket of its own.
// ioredis's monitor() switches to monitoring mode one promise tick after MONITOR's "+OK"; a monitored line that arrives in
// the same read as that "+OK" reaches its command queue instead and ends the test with "Command queue state error".
// Here the "+OK" and every line after it are read by one parser that knows it is monitoring from the start.
import net from 'node:net';

/** One command the server received, as MONITOR reports it. */
export interface MonitoredCommand {
  /** The database the command ran in. */
  db: number;
  /** The client's address, `host:port` (or `lua`, `unix:…`). */
  source: string;
  /** The command name lower-cased, then its arguments as sent. */
  name: string;
  args: string[];
}

export interface RedisMonitor {
  /** Every command seen so far, in order. */
  readonly seen: MonitoredCommand[];
  stop(): Promise<void>;
}

/** Parses MONITOR's `"a" "b\"c" "\x00"` argument list (quoted, with C-style escapes) into its strings. */
export function parseMonitorArgs(text: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < text.length) {
    if (text[i] !== '"') {
      i++;
      continue;
    }
    let arg = '';
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\' && i + 1 < text.length) {
        const next = text[i + 1]!;
        if (next === 'x' && i + 3 < text.length) {
          arg += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        arg += ({ n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b' } as Record<string, string>)[next] ?? next;
        i += 2;
        continue;
      }
      arg += text[i];
      i++;
    }
    args.push(arg);
    i++;
  }
  return args;
}

/** One MONITOR line (`1796529421.864367 [0 127.0.0.1:56102] "info"`), or undefined for anything else. */
export function parseMonitorLine(line: string): MonitoredCommand | undefined {
  const m = /^\d+\.\d+ \[(\d+) ([^\]]+)\] (.*)$/s.exec(line);
  if (!m) return undefined;
  const [name = '', ...args] = parseMonitorArgs(m[3]!);
  return { db: Number(m[1]), source: m[2]!, name: name.toLowerCase(), args };
}

/** Starts watching the server at `url` (user and password taken from it); resolves once MONITOR is on. */
export async function monitorRedis(url: string): Promise<RedisMonitor> {
  const u = new URL(url);
  const socket = net.connect({ host: u.hostname, port: Number(u.port || 6379) });
  const seen: MonitoredCommand[] = [];
  const encode = (words: string[]): string => `*${words.length}\r\n${words.map((w) => `$${Buffer.byteLength(w)}\r\n${w}\r\n`).join('')}`;
  const replies: string[] = [];
  let pending = '';
  let monitoring = false;
  let onReply: (() => void) | undefined;
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    pending += chunk;
    let end: number;
    // MONITOR's lines and AUTH's replies are simple strings or errors: one line each.
    while ((end = pending.indexOf('\r\n')) >= 0) {
      const line = pending.slice(0, end);
      pending = pending.slice(end + 2);
      if (monitoring && line.startsWith('+') && line !== '+OK') {
        const cmd = parseMonitorLine(Buffer.from(line.slice(1), 'latin1').toString('utf8'));
        if (cmd) seen.push(cmd);
      } else {
        replies.push(line);
        onReply?.();
      }
    }
  });
  const reply = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const take = (): void => {
        if (replies.length === 0) return;
        onReply = undefined;
        socket.off('error', reject);
        resolve(replies.shift()!);
      };
      onReply = take;
      socket.once('error', reject);
      take();
    });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const password = decodeURIComponent(u.password);
  if (password) {
    const user = decodeURIComponent(u.username);
    socket.write(encode(user ? ['AUTH', user, password] : ['AUTH', password]));
    const auth = await reply();
    if (auth !== '+OK') throw new Error(`MONITOR could not log in: ${auth}`);
  }
  monitoring = true;
  socket.write(encode(['MONITOR']));
  const ok = await reply();
  if (ok !== '+OK') throw new Error(`MONITOR was refused: ${ok}`);
  return {
    seen,
    stop: () =>
      new Promise<void>((resolve) => {
        if (socket.destroyed) return resolve();
        socket.once('close', () => resolve());
        socket.destroy();
      }),
  };
}
