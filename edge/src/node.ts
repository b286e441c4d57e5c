import { AsyncLocalStorage } from 'node:async_hooks';
import { serve, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { closeSharedDbs } from '@huddle/db';
import { createApp } from './app.ts';
import type { EdgeBindings } from './env.ts';

// The edge app under Node (@hono/node-server), for benchmarks and for people who do
// not deploy to Workers. Bindings come from the process environment: every variable the
// Worker gets from wrangler.toml or as a secret (JWT_SECRET, LIVEKIT_API_KEY, ...).
const env: EdgeBindings = {
  ...(process.env as Partial<EdgeBindings>),
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://huddle:huddle@127.0.0.1:5432/huddle',
  UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079',
  UPSTASH_REDIS_REST_TOKEN: process.env.UPSTASH_REDIS_REST_TOKEN ?? '',
  CORS_ORIGINS: process.env.CORS_ORIGINS,
  LOG_LEVEL: process.env.LOG_LEVEL,
};
const port = Number(process.env.EDGE_PORT ?? 8787);
const hostname = process.env.EDGE_HOST ?? '127.0.0.1';

// Rate limits key on the client's socket address, whatever headers it sends; behind a
// reverse proxy you run, set EDGE_TRUST_PROXY=true and its X-Forwarded-For is used.
const trustProxy = process.env.EDGE_TRUST_PROXY === 'true';
const socketAddress = new AsyncLocalStorage<string | undefined>();
const app = createApp(trustProxy ? {} : { socketAddress: () => socketAddress.getStore() });

const server = serve({
  fetch: trustProxy
    ? (request: Request) => app.fetch(request, env)
    : (request: Request, node: HttpBindings | Http2Bindings) =>
        socketAddress.run(node.incoming.socket.remoteAddress, () => app.fetch(request, env)),
  port,
  hostname,
}, (info) => {
  console.info(JSON.stringify({ level: 'info', service: 'edge', msg: 'edge (node adapter) listening', port: info.port }));
});
// Under Node the app's requests share one Postgres pool (createDb): close it after the server.
const shutdown = () => server.close(() => void closeSharedDbs());
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
