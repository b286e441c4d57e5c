// Edge benchmark: `npm run bench:edge` (node scripts/bench/edge.ts).
//
// For each runtime — Node (edge/src/node.ts, @hono/node-server) and workerd (wrangler dev) —
// it starts the real edge against a dedicated database (huddle_bench) and the local
// Upstash-compatible gateway, then measures with autocannon, on loopback only:
//   a. GET /api/v1/meetings/{id} on a cache hit, next to a bare Hono route returning the
//      same JSON body on the same runtime (scripts/bench/edge-bare-worker.ts) → the ratio;
//   b. POST /api/v1/meetings (each request creates a meeting: a transaction in Postgres);
//   c. POST /api/v1/auth/login (one password hash per request).
// Bounded: each case runs --duration seconds (default 10) with a fixed number of
// connections; the whole run is aborted after 10 minutes. Rows and users it creates are
// deleted at the end; sessions expire within an hour (REFRESH_TOKEN_TTL_SECONDS=3600).
//
// Options: --duration=10 --runtimes=node,workerd --no-write (do not update BENCHMARKS.md)
// Internal: --serve-bare (the bare route under Node, in a child process).
import { ensureMigratedDatabase, withDatabase } from './bench-database.ts';
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { serve } from '@hono/node-server';
import { createNodeDb } from '../../db/src/index.ts';
import bareApp from './edge-bare-worker.ts';
import { freePort } from '../src/testing/ports.ts';
import { benchArgs } from './bench-args.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const args = benchArgs();

// ---------------------------------------------------------------------------------------

type Runtime = 'node' | 'workerd';
type Row = Runtime | 'gateway';

interface CaseResult {
  runtime: Row;
  name: string;
  connections: number;
  requestsPerSecond: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
}

const durationSeconds = Math.min(60, Math.max(1, Number(args.get('duration') ?? 10)));
const runtimes = (args.get('runtimes') ?? 'node,workerd').split(',') as Runtime[];
const GET_CONNECTIONS = 50;
const CREATE_CONNECTIONS = 10; // each in-flight request holds a Postgres connection in workerd
const LOGIN_CONNECTIONS = 4; // a login is ~CPU-bound (scrypt); 2 cores

const gatewayUrl = process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079';
const gatewayToken = process.env.UPSTASH_REDIS_REST_TOKEN ?? 'huddle-local-token';
const benchDatabaseUrl = process.env.BENCH_DATABASE_URL ?? withDatabase(process.env.DATABASE_URL ?? 'postgres://huddle:huddle@127.0.0.1:5432/huddle', 'huddle_bench');
const secrets = {
  JWT_SECRET: randomBytes(32).toString('hex'),
  LIVEKIT_API_KEY: 'bench',
  LIVEKIT_API_SECRET: randomBytes(32).toString('hex'),
  UPSTASH_REDIS_REST_TOKEN: gatewayToken,
};
const vars = {
  UPSTASH_REDIS_REST_URL: gatewayUrl,
  CORS_ORIGINS: '',
  LOG_LEVEL: 'warn', // no per-request log line: measure the app, not the terminal
  REFRESH_TOKEN_TTL_SECONDS: '3600',
};
const runId = randomBytes(3).toString('hex');
const loadAtStart = loadavg()[0] ?? 0;
const children = new Set<ChildProcess>();
const tempDirs: string[] = [];

async function main(): Promise<void> {
  const watchdog = setTimeout(() => {
    console.error('bench:edge: aborted after 10 minutes');
    stopAll().finally(() => process.exit(1));
  }, 10 * 60_000);
  process.once('SIGINT', () => void stopAll().finally(() => process.exit(130)));
  const results: CaseResult[] = [];
  try {
    await ensureMigratedDatabase(benchDatabaseUrl);
    for (const runtime of runtimes) results.push(...(await benchRuntime(runtime)));
    results.push(await benchGateway());
  } finally {
    await stopAll();
    await cleanUpRows();
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
    clearTimeout(watchdog);
  }
  const table = renderTable(results);
  console.log(`\n${table}`);
  if (args.get('write') !== 'false' && !args.has('no-write')) writeBenchmarks(table, results);
}

async function benchRuntime(runtime: Runtime): Promise<CaseResult[]> {
  console.error(`bench:edge: ${runtime}: starting the edge and the bare route`);
  const app = runtime === 'node' ? await startNodeEdge() : await startWorkerdEdge();
  const fixture = await setUp(app);
  const bare = runtime === 'node' ? await startNodeBare(fixture.meetingBody) : await startWorkerdBare(fixture.meetingBody);
  const bareBody = await (await fetch(`${bare}/api/v1/meetings/${fixture.meetingId}`)).text();
  if (bareBody !== fixture.meetingBody) throw new Error('the bare route does not return the same body');

  const auth = { authorization: `Bearer ${fixture.accessToken}` };
  const results: CaseResult[] = [];
  const run = async (name: string, connections: number, options: autocannon.Options) => {
    console.error(`bench:edge: ${runtime}: ${name} (${connections} connections, ${durationSeconds} s)`);
    results.push(summarise(runtime, name, connections, await load({ connections, duration: durationSeconds, ...options })));
  };
  await run('GET meeting, bare Hono route', GET_CONNECTIONS, { url: `${bare}/api/v1/meetings/${fixture.meetingId}` });
  await run('GET meeting, edge (cache hit)', GET_CONNECTIONS, { url: `${app}/api/v1/meetings/${fixture.meetingId}`, headers: auth });
  await run('GET /health, edge (no I/O)', GET_CONNECTIONS, { url: `${app}/health` });
  await run('POST meeting', CREATE_CONNECTIONS, {
    url: `${app}/api/v1/meetings`,
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'Bench meeting', startTime: new Date(Date.now() + 86_400_000).toISOString(), duration: 30 }),
  });
  await run('POST login', LOGIN_CONNECTIONS, {
    url: app,
    requests: [
      {
        method: 'POST',
        path: '/api/v1/auth/login',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: fixture.username, password: fixture.password }),
        // A fresh client address per request: the per-IP login limit is not what is measured.
        setupRequest: (request) => ({ ...request, headers: { ...request.headers, ...clientAddressHeaders() } }),
      },
    ],
  });
  await stopAll();
  return results;
}

/** The REST gateway alone: one command per HTTP request, as a per-request edge client sends them. */
async function benchGateway(): Promise<CaseResult> {
  const name = 'REST gateway alone: EXISTS, 1 command per request';
  console.error(`bench:edge: gateway: ${name} (${GET_CONNECTIONS} connections, ${durationSeconds} s)`);
  const result = await load({
    url: `${gatewayUrl}/`,
    method: 'POST',
    connections: GET_CONNECTIONS,
    duration: durationSeconds,
    headers: { authorization: `Bearer ${gatewayToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(['EXISTS', `bench:${runId}:none`]),
  });
  return summarise('gateway', name, GET_CONNECTIONS, result);
}

// ---------------------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------------------

async function startNodeEdge(): Promise<string> {
  const port = await freePort();
  start(process.execPath, ['edge/src/node.ts'], {
    ...vars,
    ...secrets,
    DATABASE_URL: benchDatabaseUrl,
    EDGE_PORT: String(port),
    EDGE_HOST: '127.0.0.1',
    // autocannon plays a proxy on loopback and its clients: each login comes from its own
    // X-Forwarded-For address.
    EDGE_TRUSTED_PROXIES: 'loopback',
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(`${url}/health`);
  return url;
}

async function startNodeBare(body: string): Promise<string> {
  const child = start(process.execPath, [fileURLToPath(import.meta.url), '--serve-bare'], { BENCH_BODY: body });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"port":(\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`bare server exited (${code})`)));
  });
  return `http://127.0.0.1:${port}`;
}

/** `wrangler dev` of a generated config in a temporary folder (so the project's .dev.vars is not read). */
async function startWrangler(name: string, main: string, settings: { vars: Record<string, string>; hyperdrive?: string; devVars?: Record<string, string> }): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `huddle-bench-${name}-`));
  tempDirs.push(dir);
  const compatibilityDate = /compatibility_date\s*=\s*"([^"]+)"/.exec(readFileSync(join(root, 'wrangler.toml'), 'utf8'))?.[1] ?? '2026-10-01';
  const toml = [
    `name = "huddle-bench-${name}"`,
    `main = ${JSON.stringify(main)}`,
    `compatibility_date = "${compatibilityDate}"`,
    'compatibility_flags = ["nodejs_compat"]',
    '[vars]',
    ...Object.entries(settings.vars).map(([k, v]) => `${k} = ${JSON.stringify(v)}`),
    ...(settings.hyperdrive
      ? ['[[hyperdrive]]', 'binding = "HYPERDRIVE"', 'id = "00000000000000000000000000000000"', `localConnectionString = ${JSON.stringify(settings.hyperdrive)}`]
      : []),
  ].join('\n');
  writeFileSync(join(dir, 'wrangler.toml'), `${toml}\n`);
  if (settings.devVars) {
    writeFileSync(join(dir, '.dev.vars'), Object.entries(settings.devVars).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join('\n'), { mode: 0o600 });
  }
  const [port, inspectorPort] = [await freePort(), await freePort()];
  start(
    process.execPath,
    [join(root, 'node_modules/wrangler/bin/wrangler.js'), 'dev', '--config', join(dir, 'wrangler.toml'), '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspectorPort), '--log-level', 'warn', '--show-interactive-dev-session=false'],
    { CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_SEND_METRICS: 'false', CI: '1' },
    dir,
  );
  return `http://127.0.0.1:${port}`;
}

async function startWorkerdEdge(): Promise<string> {
  const url = await startWrangler('edge', join(root, 'edge/src/index.ts'), { vars, devVars: secrets, hyperdrive: benchDatabaseUrl });
  await waitFor(`${url}/health`, 120_000);
  return url;
}

async function startWorkerdBare(body: string): Promise<string> {
  const url = await startWrangler('bare', join(root, 'scripts/bench/edge-bare-worker.ts'), { vars: { BENCH_BODY: body } });
  await waitFor(`${url}/api/v1/meetings/warm-up`, 120_000);
  return url;
}

function start(command: string, argv: string[], env: Record<string, string>, cwd = root): ChildProcess {
  // Own process group, so stopping it also stops what it started (wrangler → workerd).
  const child = spawn(command, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stdout?.on('data', () => {}); // keep the pipe drained
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString().trim();
    if (text) console.error(`  [${command === process.execPath ? argv[0]?.split('/').slice(-2).join('/') : command}] ${text.slice(0, 500)}`);
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

async function stopAll(): Promise<void> {
  await Promise.all(
    [...children].map(async (child) => {
      if (child.exitCode !== null || child.pid === undefined) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      signalGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }),
  );
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

async function waitFor(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}


// ---------------------------------------------------------------------------------------
// Data
// ---------------------------------------------------------------------------------------

interface Fixture {
  username: string;
  password: string;
  accessToken: string;
  meetingId: string;
  /** The edge's response body for GET /meetings/{id}, as text. */
  meetingBody: string;
}

/** A user, a meeting, and a warm cache entry for it, created through the API under test. */
async function setUp(base: string): Promise<Fixture> {
  const username = `bench_${runId}_${randomBytes(2).toString('hex')}`;
  const password = `bench-${randomBytes(8).toString('hex')}`;
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...clientAddressHeaders(), ...headers },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  await post('/api/v1/auth/register', { username, email: `${username}@bench.test`, password });
  const { accessToken } = (await post('/api/v1/auth/login', { login: username, password })) as { accessToken: string };
  const auth = { authorization: `Bearer ${accessToken}` };
  const meeting = await post('/api/v1/meetings', { title: 'Bench meeting', startTime: new Date(Date.now() + 86_400_000).toISOString(), duration: 30 }, auth);
  const meetingId = String(meeting.id);
  let meetingBody = '';
  for (let i = 0; i < 3; i++) {
    const response = await fetch(`${base}/api/v1/meetings/${meetingId}`, { headers: auth });
    if (response.status !== 200) throw new Error(`GET meeting: ${response.status} ${await response.text()}`);
    meetingBody = await response.text();
  }
  return { username, password, accessToken, meetingId, meetingBody };
}


async function cleanUpRows(): Promise<void> {
  const db = createNodeDb(benchDatabaseUrl, { shared: false, max: 1 });
  try {
    const pattern = `bench\\_${runId}\\_%`;
    await db.sql`delete from meetings where creator_id in (select id from users where username like ${pattern})`;
    await db.sql`delete from users where username like ${pattern}`;
  } catch (error) {
    console.error(`bench:edge: clean-up failed: ${(error as Error).message}`);
  } finally {
    await db.close();
  }
}


/** A random address from 10.0.0.0/8 for CF-Connecting-IP. */
const randomIp = (): string => `10.${[...randomBytes(3)].join('.')}`;
/** A random client address as each runtime reads it: Cloudflare's header (workerd), a trusted proxy's (Node). */
function clientAddressHeaders(): Record<string, string> {
  const ip = randomIp();
  return { 'cf-connecting-ip': ip, 'x-forwarded-for': ip };
}

// ---------------------------------------------------------------------------------------
// Measuring and reporting
// ---------------------------------------------------------------------------------------

function load(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ timeout: 10, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

function summarise(runtime: Row, name: string, connections: number, result: autocannon.Result): CaseResult {
  const requests = result['2xx'] + result.non2xx;
  return {
    runtime,
    name,
    connections,
    requestsPerSecond: Math.round((requests / result.duration) * 10) / 10,
    latencyP50Ms: result.latency.p50,
    latencyP99Ms: result.latency.p99,
    requests,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

function renderTable(results: CaseResult[]): string {
  const lines = [
    '| runtime | case | connections | req/s | p50 ms | p99 ms | requests | non-2xx | errors |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...results.map(
      (r) =>
        `| ${r.runtime} | ${r.name} | ${r.connections} | ${r.requestsPerSecond} | ${r.latencyP50Ms} | ${r.latencyP99Ms} | ${r.requests} | ${r.non2xx} | ${r.errors} |`,
    ),
  ];
  const ratios = ratiosOf(results).map(
    (r) =>
      `- ${r.runtime}: edge GET (cache hit) / bare route = **${r.ratio.toFixed(2)}** (goal ≥ 0.5: ${r.ratio >= 0.5 ? 'met' : 'not met'})`,
  );
  return [...lines, '', ...ratios].join('\n');
}

function ratiosOf(results: CaseResult[]): { runtime: Runtime; ratio: number }[] {
  return runtimes.flatMap((runtime) => {
    const bare = results.find((r) => r.runtime === runtime && r.name.includes('bare'));
    const edge = results.find((r) => r.runtime === runtime && r.name.includes('cache hit'));
    return bare && edge && bare.requestsPerSecond > 0 ? [{ runtime, ratio: edge.requestsPerSecond / bare.requestsPerSecond }] : [];
  });
}

/** Replaces the "## Edge" section of BENCHMARKS.md (creating the file if needed). */
function writeBenchmarks(table: string, results: CaseResult[]): void {
  const file = join(root, 'BENCHMARKS.md');
  const failed = results.some((r) => r.errors > 0 || r.non2xx > 0);
  const section = [
    '## Edge',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:edge\` (\`node scripts/bench/edge.ts --duration=${durationSeconds}\`),`,
    `on ${cpus().length} shared cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), noisy: other work ran at the same time`,
    `(1-minute load average ${loadAtStart.toFixed(2)} when the run started).`,
    'Loopback only; autocannon, the edge, the REST gateway, Redis and Postgres share the machine.',
    `Each case runs ${durationSeconds} s. GET: ${GET_CONNECTIONS} connections; POST meeting: ${CREATE_CONNECTIONS}; login: ${LOGIN_CONNECTIONS}.`,
    '',
    table,
    ...(failed ? ['', '**Some requests failed (non-2xx or connection errors): see the table.**'] : []),
    '',
    'What the cases mean:',
    '- *bare Hono route*: `GET /api/v1/meetings/:id` returning the same JSON body with no middleware, auth or I/O',
    '  (`scripts/bench/edge-bare-worker.ts`, run on the same runtime) — the ceiling.',
    '- *edge (cache hit)*: the real route: request id, CORS, body guards, per-request resources, JWT check, session',
    '  lookup in Redis, meeting read from the Redis cache (two REST round trips to the gateway), membership check.',
    '- *POST meeting*: validation, one transaction (meeting + host), cache invalidation and an event on Redis.',
    '- *POST login*: rate-limit counters, user lookup, one scrypt hash (the dominant cost), session in Redis, JWT.',
    '- *GET /health*: the same app without auth or I/O — what the middleware stack alone costs.',
    '- *REST gateway alone*: the local Upstash-compatible gateway hit directly, one command per HTTP request.',
    '',
    'Reading the ratio: between *GET /health* and *edge (cache hit)* the difference is the JWT check and two',
    'sequential REST round trips to Redis (session `EXISTS`, then the cached meeting `GET`), each a `fetch` from the',
    'edge. Under Node that `fetch` (undici) and WebCrypto HMAC dominate the CPU profile; in workerd they are native',
    'and the ratio is much closer. The gateway alone is not the limit (see its row). Locally, everything shares the',
    'same two cores, so the absolute figures are far below what Workers + Upstash deliver; compare rows of one run.',
    '',
  ].join('\n');
  writeBenchmarkSection(file, '## Edge', section);
  console.error(`bench:edge: wrote the "Edge" section of ${file}`);
}

// ---------------------------------------------------------------------------------------

if (args.has('serve-bare')) {
  // Child mode: the bare route under Node, printing its port.
  const env = { BENCH_BODY: process.env.BENCH_BODY ?? '{}' };
  const server = serve({ fetch: (request) => bareApp.fetch(request, env), port: 0, hostname: '127.0.0.1' }, (info) => {
    console.log(JSON.stringify({ port: info.port }));
  });
  process.once('SIGTERM', () => server.close());
} else {
  await main();
}
