/**
 * Upstash-compatible Redis REST gateway, for local development and CI: lets code
 * written for @upstash/redis (the edge Worker) talk to a plain Redis.
 *
 * Env: UPSTASH_REDIS_REST_TOKEN (required), GATEWAY_HOST (127.0.0.1),
 * GATEWAY_PORT (8079), REDIS_URL (redis://127.0.0.1:6379).
 *
 *   UPSTASH_REDIS_REST_TOKEN=dev node gateway/src/main.ts
 */
import { createGateway } from './gateway.ts';

const log = (line: string): void => console.log(`upstash-gateway: ${line}`);

const token = process.env.UPSTASH_REDIS_REST_TOKEN ?? '';
if (token === '') {
  console.error(
    'upstash-gateway: UPSTASH_REDIS_REST_TOKEN is required (clients send it as "Authorization: Bearer <token>")',
  );
  process.exit(1);
}
const host = process.env.GATEWAY_HOST || '127.0.0.1';
const port = Number(process.env.GATEWAY_PORT || 8079);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`upstash-gateway: GATEWAY_PORT must be a port number, got "${process.env.GATEWAY_PORT}"`);
  process.exit(1);
}
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

const gateway = createGateway({ redisUrl, token, log });
try {
  const { url } = await gateway.listen(port, host);
  log(`listening on ${url} (Redis: ${new URL(redisUrl).host})`);
} catch (error) {
  console.error(`upstash-gateway: cannot listen on ${host}:${port}: ${(error as Error).message}`);
  await gateway.close(0);
  process.exit(1);
}

const shutdown = (signal: NodeJS.Signals): void => {
  log(`${signal} received, shutting down`);
  gateway.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`upstash-gateway: shutdown failed: ${(error as Error).message}`);
      process.exit(1);
    },
  );
};
// `once`: a second signal falls back to Node's default and exits at once.
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
