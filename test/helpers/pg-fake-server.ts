// Test helper: a scripted PostgreSQL server on 127.0.0.1 (net.createServer) for what a real server never does — skip
// SCRAM's final message, sign wrongly, send malformed or split replies. Each connection runs `script` with a Peer.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface ClientMessage {
  /** The type byte; 0 for the startup message. */
  type: number;
  body: Buffer;
}

/** Builds a backend message. */
export function msg(type: string, body: Buffer | string = Buffer.alloc(0)): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const out = Buffer.alloc(5 + b.length);
  out[0] = type.charCodeAt(0);
  out.writeUInt32BE(4 + b.length, 1);
  b.copy(out, 5);
  return out;
}

const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
export const auth = (kind: number, extra: Buffer | string = Buffer.alloc(0)) => msg('R', Buffer.concat([int32(kind), Buffer.from(extra)]));
export const READY = msg('Z', 'I');
/** What a server sends after a successful authentication. */
export const LOGGED_IN = Buffer.concat([auth(0), msg('S', 'server_version\x0015.0\x00'), msg('K', Buffer.concat([int32(4242), int32(77)])), READY]);

/** One client connection of the fake server. */
export class Peer {
  private buf = Buffer.alloc(0);
  private started = false;
  private wake: (() => void) | undefined;
  closed = false;

  /**
   * What the server answers an SSLRequest with: 'N' (no TLS) unless a test says otherwise. Bytes after the first are
   * sent in answer to the client's next bytes (its TLS ClientHello), and the connection ends there.
   */
  sslAnswer: Buffer = Buffer.from('N');

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    socket.on('error', () => undefined); // the client may drop the connection at any point; the test judges the client
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
  }

  /** The next whole client message; an SSLRequest is answered 'N' on the way; undefined once the client is gone. */
  async next(): Promise<ClientMessage | undefined> {
    for (;;) {
      const head = this.started ? 5 : 4;
      if (this.buf.length >= head) {
        const len = this.buf.readUInt32BE(head - 4);
        const total = head - 4 + len;
        if (this.buf.length >= total) {
          const type = this.started ? this.buf[0]! : 0;
          const body = Buffer.from(this.buf.subarray(head, total));
          this.buf = this.buf.subarray(total);
          if (!this.started && body.readUInt32BE(0) === 80877103) {
            this.socket.write(this.sslAnswer.subarray(0, 1));
            if (this.sslAnswer.length === 1) continue;
            while (this.buf.length === 0 && !this.closed) await new Promise<void>((resolve) => (this.wake = resolve));
            this.socket.end(this.sslAnswer.subarray(1));
            return undefined;
          }
          this.started = true;
          return { type, body };
        }
      }
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** Skips client messages up to and including the next Sync or Query (the end of one exchange). */
  async exchange(): Promise<boolean> {
    for (;;) {
      const m = await this.next();
      if (!m) return false;
      if (m.type === 0x53 || m.type === 0x51) return true;
    }
  }

  send(bytes: Buffer): void {
    if (!this.closed) this.socket.write(bytes);
  }

  /** Writes `bytes` in the given pieces, letting the event loop turn between them so they tend to arrive as separate reads. */
  async sendInPieces(bytes: Buffer, cuts: number[]): Promise<void> {
    let at = 0;
    for (const cut of [...cuts, bytes.length]) {
      if (cut <= at) continue;
      this.send(bytes.subarray(at, cut));
      at = cut;
      await new Promise<void>((resolve) => setTimeout(resolve, 1));
    }
  }
}

export interface FakeServer {
  port: number;
  url(user?: string, password?: string): string;
  /** Errors the scripts threw (a script bug, not the client's). */
  failures: unknown[];
  stop(): Promise<void>;
}

/** `script` gets each connection's Peer and its number (from 0). */
export async function startFakeServer(script: (peer: Peer, connection: number) => Promise<void>): Promise<FakeServer> {
  const failures: unknown[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    script(new Peer(socket), connections++).catch((err: unknown) => failures.push(err)).finally(() => socket.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    failures,
    url: (user = 'fake', password = '') => `postgres://${user}${password ? `:${encodeURIComponent(password)}` : ''}@127.0.0.1:${port}/db?sslmode=disable`,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The server side of SCRAM-SHA-256 for `password`; `final` decides what it sends after the client's proof. */
export async function scramServer(peer: Peer, password: string, final: 'good' | 'skip' | 'wrong'): Promise<'ok' | 'bad-proof' | 'gone'> {
  peer.send(auth(10, 'SCRAM-SHA-256\0\0'));
  const initial = await peer.next();
  if (!initial) return 'gone';
  const mechEnd = initial.body.indexOf(0);
  const data = initial.body.subarray(mechEnd + 5).toString();
  const clientFirstBare = data.slice(data.indexOf('n=', 3));
  const clientNonce = /r=([^,]+)/.exec(clientFirstBare)![1]!;
  const salt = randomBytes(16);
  const nonce = clientNonce + randomBytes(12).toString('base64');
  const serverFirst = `r=${nonce},s=${salt.toString('base64')},i=4096`;
  peer.send(auth(11, serverFirst));
  const response = await peer.next();
  if (!response) return 'gone';
  const clientFinal = response.body.toString();
  const finalBare = clientFinal.slice(0, clientFinal.indexOf(',p='));
  const proof = Buffer.from(clientFinal.slice(clientFinal.indexOf(',p=') + 3), 'base64');
  const salted = pbkdf2Sync(password, salt, 4096, 32, 'sha256');
  const authMessage = `${clientFirstBare},${serverFirst},${finalBare}`;
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const signature = createHmac('sha256', storedKey).update(authMessage).digest();
  const recovered = Buffer.from(proof.map((b, i) => b ^ signature[i]!));
  if (!createHash('sha256').update(recovered).digest().equals(storedKey)) return 'bad-proof';
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  const serverSignature = createHmac('sha256', serverKey).update(authMessage).digest();
  if (final === 'good') peer.send(auth(12, `v=${serverSignature.toString('base64')}`));
  else if (final === 'wrong') peer.send(auth(12, `v=${randomBytes(32).toString('base64')}`));
  peer.send(LOGGED_IN);
  return 'ok';
}
