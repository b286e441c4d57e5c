import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createTestHarness, type TestHarness } from 'wrangler';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Secrets the edge needs; test-only values. */
export const testSecrets = {
  UPSTASH_REDIS_REST_TOKEN: process.env.UPSTASH_REDIS_REST_TOKEN ?? 'huddle-local-token',
  JWT_SECRET: 'test-jwt-secret-0123456789abcdef0123456789abcdef',
  LIVEKIT_API_KEY: 'test-livekit-key',
  LIVEKIT_API_SECRET: 'test-livekit-secret-0123456789abcdef0123456789',
};

export interface EdgeUnderTest {
  /** Sends a request to the Worker running in workerd. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
  /** What the Worker logged so far (console output captured from workerd). */
  logs(): string[];
}

/**
 * Runs the edge Worker from wrangler.toml in workerd (wrangler's test harness)
 * against the local Postgres (through the Hyperdrive binding) and the Upstash
 * REST gateway in front of the local Redis.
 */
export async function startEdge(
  options: { databaseUrl?: string; vars?: Record<string, string>; secrets?: Record<string, string> } = {},
): Promise<EdgeUnderTest> {
  const databaseUrl =
    options.databaseUrl ?? process.env.TEST_DATABASE_URL ?? 'postgres://huddle:huddle@127.0.0.1:5432/huddle_test';
  // wrangler reads the local Hyperdrive target from this variable when it starts the Worker.
  process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = databaseUrl;
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  process.env.WRANGLER_SEND_METRICS = 'false';
  const server: TestHarness = createTestHarness({
    root,
    workers: [
      {
        configPath: 'wrangler.toml',
        vars: {
          UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079',
          CORS_ORIGINS: 'https://app.example.test',
          LOG_LEVEL: 'warn',
          ...options.vars,
        },
        secrets: { ...testSecrets, ...options.secrets },
      },
    ],
  });
  // wrangler.toml serves the web client from web/dist ([assets]); the directory must
  // exist even when the client was never built (these tests do not fetch assets).
  mkdirSync(`${root}web/dist`, { recursive: true });
  await server.listen();
  return {
    fetch: (path, init) => server.fetch(path, init as never) as unknown as Promise<Response>,
    close: () => server.close(),
    logs: () => server.getLogs().map((entry) => JSON.stringify(entry)),
  };
}
