import { AsyncLocalStorage } from 'node:async_hooks';
import type { Server } from 'node:http';
import { serve, type Http2Bindings, type HttpBindings } from '@hono/node-server';
import { closeSharedDbs } from '@huddle/db';
import { createApp } from './app.ts';
import type { EdgeBindings } from './env.ts';
import { clientAddressOf, parseTrustedProxies } from './node/client-address.ts';
import { answerClientError, HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from './node/malformed-requests.ts';

// The edge app under Node (@hono/node-server): what self-hosted deployments and
// docker-compose run, and what the benchmarks drive. Bindings come from the process
// environment: every variable the Worker gets from wrangler.toml or as a secret
// (JWT_SECRET, LIVEKIT_API_KEY, ...).
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

const fail = (message: string): never => {
  console.error(JSON.stringify({ level: 'error', service: 'edge', msg: message }));
  process.exit(1);
};
if (process.env.EDGE_TRUST_PROXY !== undefined) {
  // It trusted X-Forwarded-For from anyone: the client picked its own rate-limit key.
  fail('EDGE_TRUST_PROXY is no longer supported: list your proxies in EDGE_TRUSTED_PROXIES (addresses, CIDRs, "loopback")');
}

// Rate limits key on the client's address: the socket's peer, or — when that peer is a
// proxy listed in EDGE_TRUSTED_PROXIES — the last X-Forwarded-For hop that is not ours.
let trust: ReturnType<typeof parseTrustedProxies> = () => false;
try {
  trust = parseTrustedProxies(process.env.EDGE_TRUSTED_PROXIES);
} catch (error) {
  fail((error as Error).message);
}
const clientAddress = new AsyncLocalStorage<string | undefined>();
const app = createApp({ clientAddress: () => clientAddress.getStore() });

const server = serve({
  fetch: (request: Request, node: HttpBindings | Http2Bindings) =>
    clientAddress.run(clientAddressOf(node.incoming as HttpBindings['incoming'], trust), () => app.fetch(request, env)),
  port,
  hostname,
}, (info) => {
  console.info(JSON.stringify({ level: 'info', service: 'edge', msg: 'edge (node adapter) listening', port: info.port }));
}) as Server;
// Malformed requests get the JSON error shape too (see node/malformed-requests.ts), and
// slow clients are cut off instead of holding a socket for Node's default 5 minutes.
server.on('clientError', answerClientError);
server.requestTimeout = REQUEST_TIMEOUT_MS;
server.headersTimeout = HEADERS_TIMEOUT_MS;

// Under Node the app's requests share one Postgres pool (createDb): close it after the server.
const shutdown = () => server.close(() => void closeSharedDbs());
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
