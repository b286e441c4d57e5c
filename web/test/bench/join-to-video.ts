// `npm run bench:web`: time from clicking "Join now" in the lobby to the first frame of
// a remote participant's video, in Chromium against the real stack on LiveKit (inside
// a network namespace, as the end-to-end tests). A is in the meeting with a camera; B
// joins, waits for A's first frame (requestVideoFrameCallback), leaves, and again.
//
//   npm run bench:web [-- --joins=10 --no-write]
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureMigratedDatabase, withDatabase } from '../../../scripts/bench/bench-database.ts';
import { writeBenchmarkSection } from '../../../scripts/bench/benchmarks-file.ts';
import { benchArgs } from '../../../scripts/bench/bench-args.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const args = benchArgs();
const JOINS = Math.min(50, Math.max(1, Number(args.get('joins') ?? 10)));
const RUN_TIMEOUT_MS = 10 * 60_000;

// The stack's helpers read the database URL when they load: point them at the bench database first.
const databaseUrl = withDatabase(process.env.DATABASE_URL ?? 'postgres://huddle:huddle@127.0.0.1:5432/huddle', 'huddle_bench_web');
process.env.TEST_DATABASE_URL = databaseUrl;
await ensureMigratedDatabase(databaseUrl);
const { startWebStack, webE2eSkipReason } = await import('../e2e/web-stack.ts');

const skip = webE2eSkipReason();
if (skip) {
  console.error(`bench:web cannot run here: ${skip}`);
  process.exit(1);
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

async function api<T>(base: string, path: string, init: { method?: string; token?: string; body?: unknown } = {}): Promise<T> {
  const response = await fetch(`${base}/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: { 'content-type': 'application/json', ...(init.token ? { authorization: `Bearer ${init.token}` } : {}) },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const timer = setTimeout(() => {
  console.error('bench:web ran out of time');
  process.exit(1);
}, RUN_TIMEOUT_MS);
timer.unref();

const stack = await startWebStack();
const samples: number[] = [];
try {
  const tag = Math.random().toString(36).slice(2, 8);
  const people = [`bench_a_${tag}`, `bench_b_${tag}`];
  const password = `pw-${tag}-bench-horse-staple`;
  for (const username of people) {
    await api(stack.webUrl, '/auth/register', { method: 'POST', body: { username, email: `${username}@example.test`, password, fullName: username } });
  }
  const login = (username: string) => api<{ accessToken: string }>(stack.webUrl, '/auth/login', { method: 'POST', body: { login: username, password } });
  const hostToken = (await login(people[0]!)).accessToken;
  const invitee = await api<{ id: string }>(stack.webUrl, `/users/lookup?login=${people[1]}`, { token: hostToken });
  const meeting = await api<{ id: string }>(stack.webUrl, '/meetings', {
    method: 'POST',
    token: hostToken,
    body: { title: 'bench', startTime: new Date().toISOString(), duration: 30, invitedUserIds: [invitee.id] },
  });

  const [browserA, browserB] = await Promise.all([stack.browser(), stack.browser()]);
  const signIn = async (browser: typeof browserA, username: string) => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${stack.webUrl}/signin`);
    await page.getByLabel('Username or email').fill(username);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Your meetings' }).waitFor();
    return page;
  };
  const [a, b] = await Promise.all([signIn(browserA, people[0]!), signIn(browserB, people[1]!)]);
  const idA = await a.evaluate(() => (JSON.parse(localStorage.getItem('huddle.session') ?? '{}') as { user: { id: string } }).user.id);
  const lobby = `${stack.webUrl}/meetings/${meeting.id}/lobby`;
  await a.goto(lobby);
  await a.getByLabel('Your camera preview').waitFor();
  await a.getByRole('button', { name: 'Join now' }).click();
  await a.getByTestId('call').waitFor();

  for (let i = 0; i < JOINS; i++) {
    await b.goto(lobby);
    await b.getByLabel('Your camera preview').waitFor();
    // Click and wait for A's first decoded frame in the page's own clock.
    const ms = await b.evaluate(
      (userId) =>
        new Promise<number>((resolve, reject) => {
          const button = [...document.querySelectorAll('button')].find((el) => el.textContent === 'Join now');
          if (!button) return reject(new Error('no Join button'));
          const give = setTimeout(() => reject(new Error('no remote frame within 30 s')), 30_000);
          let t0 = 0;
          const watch = () => {
            const video = document.querySelector<HTMLVideoElement>(`[data-testid="video-tile"][data-user-id="${userId}"] video`);
            if (!video) return requestAnimationFrame(watch);
            video.requestVideoFrameCallback((now) => {
              clearTimeout(give);
              resolve(now - t0);
            });
          };
          t0 = performance.now();
          button.click();
          requestAnimationFrame(watch);
        }),
      idA,
    );
    samples.push(ms);
    console.info(`join ${i + 1}/${JOINS}: first remote frame after ${ms.toFixed(0)} ms`);
    await b.getByTestId('leave').click();
    await b.getByTestId('end-screen').waitFor();
  }
} finally {
  await stack.teardown();
}

const sorted = [...samples].sort((x, y) => x - y);
const p50 = percentile(sorted, 50);
const p95 = percentile(sorted, 95);
const cpu = cpus()[0]?.model ?? 'unknown CPU';
console.info(`join → first remote video frame over ${samples.length} joins: p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms`);

const section = `## Web client

\`npm run bench:web\` (web/test/bench/join-to-video.ts): time from clicking **Join now** in the
lobby to the first decoded frame of a remote participant's video (\`requestVideoFrameCallback\`),
measured inside the page. Debian Chromium (headless) with fake devices, the built client
served by Vite preview with the edge (Node adapter) behind its proxy, a media node on the
LiveKit engine and livekit-server, all in one network namespace on this machine. Each join
includes POST /join through the edge, the signaling socket and \`join\`, the LiveKit
connection and subscription, and the first frame. The other participant is already in
the meeting with a camera; B leaves and joins again ${JOINS} times.

| joins | p50 | p95 | min | max |
|---|---|---|---|---|
| ${samples.length} | ${p50.toFixed(0)} ms | ${p95.toFixed(0)} ms | ${sorted[0]?.toFixed(0)} ms | ${sorted.at(-1)?.toFixed(0)} ms |

Joins in order (ms): ${samples.map((x) => x.toFixed(0)).join(', ')}. The first join of a run is cold: the
browser loads the LiveKit adapter's code on demand and the node opens the LiveKit room, so with
10 joins p95 is that first join.

Machine: ${cpus().length} × ${cpu}, load average ${loadavg()[0]?.toFixed(2)} at the end (shared with other work: noisy).
`;
if (args.get('no-write') !== 'true') writeBenchmarkSection(join(root, 'BENCHMARKS.md'), '## Web client', section);
process.exit(0);
