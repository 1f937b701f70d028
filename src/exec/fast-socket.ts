// A TCP connection for the lean load paths that reads into one reused buffer: no Buffer is allocated per reply.
import { connect, type Socket } from 'node:net';

export function connectReusingBuffer(host: string, port: number, onData: (buffer: Buffer, length: number) => void): Socket {
  const readBuffer = Buffer.allocUnsafe(65536);
  const socket = connect({
    host,
    port,
    onread: {
      buffer: readBuffer,
      callback: (n: number): boolean => {
        onData(readBuffer, n);
        return true;
      },
    },
  });
  // Requests are small and latency-bound: never wait to coalesce them.
  socket.setNoDelay(true);
  return socket;
}
