import { createServer } from 'node:net';

/**
 * A TCP port the OS reports free on `host` right now (listen on port 0, read it, close).
 * Another process may take it before the caller listens: use it for children that cannot
 * be handed a listening socket, and retry on EADDRINUSE where that matters.
 * Rejects when `host` cannot be listened on.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port was assigned'))));
    });
  });
}
