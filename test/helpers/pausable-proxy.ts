// Test helper: a TCP proxy in front of a broker whose traffic can be paused (the broker looks frozen, its sockets stay
// open) or cut (a restart or failover, as the application sees it).
import net from 'node:net';

/** A TCP proxy in front of the broker whose traffic can be paused: the broker looks frozen, its sockets stay open. */
export async function startPausableProxy(target: string): Promise<{ url: string; pause(): void; cut(): void; close(): Promise<void> }> {
  const up = new URL(target);
  const sockets = new Set<net.Socket>();
  let paused = false;
  const server = net.createServer((down) => {
    const upstream = net.connect(Number(up.port || 5672), up.hostname);
    for (const s of [down, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined); // torn down at close
      if (paused) s.pause();
    }
    down.pipe(upstream);
    upstream.pipe(down);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const url = new URL(target);
  url.port = String(port);
  return {
    url: url.toString(),
    pause() {
      paused = true;
      for (const s of sockets) s.pause();
    },
    /** The connection drops (a broker restart, a failover): every socket is reset. */
    cut() {
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
