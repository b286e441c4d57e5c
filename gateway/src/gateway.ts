import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RedisExecutor } from './executor.ts';
import { createRequestHandler } from './handler.ts';

/** Options for {@link createGateway}. */
export interface GatewayOptions {
  /** `redis://[user:password@]host:port[/db]` of the Redis to serve. */
  redisUrl: string;
  /** Bearer token clients must send (`UPSTASH_REDIS_REST_TOKEN`). */
  token: string;
  /** Request bodies above this get 413; default 10 MiB. */
  maxBodyBytes?: number;
  /** Receives connection events and internal errors; silent when omitted. */
  log?: (line: string) => void;
}

/** A running (or ready to run) gateway. */
export interface Gateway {
  /** The underlying HTTP server, e.g. to observe requests. */
  readonly server: Server;
  /**
   * Connects to Redis (waiting for the first attempt only: if Redis is down the gateway
   * still starts, answers 503 and keeps reconnecting), then starts listening. Resolves
   * with the base URL to give clients.
   */
  listen(port: number, host: string): Promise<{ url: string; host: string; port: number }>;
  /**
   * Stops accepting connections, lets in-flight requests finish (forcing them closed
   * after `graceMs`), then closes the Redis connection.
   */
  close(graceMs?: number): Promise<void>;
}

/** Default request body limit: 10 MiB. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** Creates an Upstash-compatible REST gateway in front of one Redis. */
export function createGateway(options: GatewayOptions): Gateway {
  const log = options.log ?? (() => {});
  const executor = new RedisExecutor({ url: options.redisUrl, log });
  const server = createServer(
    createRequestHandler({
      executor,
      token: options.token,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      log,
    }),
  );

  return {
    server,
    async listen(port, host) {
      await executor.start();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return { url: `http://${hostInUrl}:${address.port}`, host: address.address, port: address.port };
    },
    async close(graceMs = 10_000) {
      if (server.listening) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        await closed;
        clearTimeout(force);
      }
      await executor.close();
    },
  };
}
