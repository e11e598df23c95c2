import { createServer, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';

/**
 * A loopback server speaking raw HTTP/1.1, so each response can be wrong in exactly one way.
 * `answer` gets the request path and the request count, and writes to the socket itself.
 */
export async function rawServer(t: TestContext, answer: (socket: Socket, path: string, n: number) => void) {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    socket.on('data', (chunk) => {
      if (head.includes('\r\n\r\n')) return;
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      const path = head.split(' ')[1] ?? '/';
      requests.push(path);
      answer(socket, path, requests.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const port = (server.address() as { port: number }).port;
  return { url: (path: string) => `http://127.0.0.1:${port}${path}`, requests };
}

export function head(status: string, headers: Record<string, string | number>): string {
  const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}`);
  return `HTTP/1.1 ${status}\r\n${[...lines, 'connection: close'].join('\r\n')}\r\n\r\n`;
}

export function sized(socket: Socket, body: Buffer, extra: Record<string, string> = {}) {
  socket.end(Buffer.concat([Buffer.from(head('200 OK', { 'content-length': body.length, ...extra })), body]));
}

export function chunked(
  socket: Socket,
  body: Buffer,
  options: { cutAfter?: number; noEnd?: boolean; extra?: Record<string, string> } = {},
) {
  socket.write(head('200 OK', { 'transfer-encoding': 'chunked', ...options.extra }));
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += 4096) {
    const piece = body.subarray(at, at + 4096);
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n'));
  }
  if (!options.noEnd && options.cutAfter === undefined) parts.push(Buffer.from('0\r\n\r\n'));
  const wire = Buffer.concat(parts);
  socket.end(options.cutAfter === undefined ? wire : wire.subarray(0, options.cutAfter));
}
