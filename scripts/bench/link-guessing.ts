// Code-guessing benchmark: `npm run bench:link` (node scripts/bench/link-guessing.ts).
//
// What an attacker who guesses meeting codes gets, measured against the real edge (Node
// adapter, edge/src/node.ts) with its default link limits, the local Postgres and the
// Upstash-compatible gateway, on loopback only:
//   1. the entropy of meeting codes, measured over generated codes (letter frequencies
//      per position, Shannon entropy) next to the designed value log2(26^10);
//   2. an attacker at one client address guessing as fast as it can for --duration
//      seconds (default 20, at most 2,000 requests): how many guesses the edge answers
//      (404) before it answers nothing but 429 — and that a real code is refused then;
//   3. from those: guesses answered per address per day (the miss budget refills with
//      its sliding window) and the expected number of valid codes found per day, for a
//      given number of meetings that accept link entry (--open=1000000 by default).
// The attacker's address is a fresh documentation-range IPv6 /64 per run, passed through
// X-Forwarded-For from a trusted loopback proxy (EDGE_TRUSTED_PROXIES=loopback).
//
// Options: --duration=20 --open=1000000 --codes=200000 --no-write (do not update BENCHMARKS.md)
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createNodeDb } from '../../db/src/index.ts';
import { generateMeetingCode } from '../../edge/src/services/meeting-codes.ts';
import { ensureMigratedDatabase, withDatabase } from './bench-database.ts';
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { benchArgs } from './bench-args.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const args = benchArgs();
const durationSeconds = Math.min(120, Math.max(5, Number(args.get('duration') ?? 20)));
const openMeetings = Math.max(1, Number(args.get('open') ?? 1_000_000));
const sampleCodes = Math.min(2_000_000, Math.max(10_000, Number(args.get('codes') ?? 200_000)));
const MAX_REQUESTS = 2_000;
const CONCURRENCY = 4;

const gatewayUrl = process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079';
const gatewayToken = process.env.UPSTASH_REDIS_REST_TOKEN ?? 'huddle-local-token';
const databaseUrl =
  process.env.BENCH_DATABASE_URL ?? withDatabase(process.env.DATABASE_URL ?? 'postgres://huddle:huddle@127.0.0.1:5432/huddle', 'huddle_bench');

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** 1. Entropy of generated codes: Shannon entropy of each of the 10 letter positions, summed. */
function measureEntropy(count: number): { designedBits: number; measuredBits: number; minPositionBits: number; space: number } {
  const counts = Array.from({ length: 10 }, () => new Array<number>(26).fill(0));
  for (let i = 0; i < count; i++) {
    const letters = generateMeetingCode().replaceAll('-', '');
    for (let p = 0; p < 10; p++) counts[p]![letters.charCodeAt(p) - 97]! += 1;
  }
  const perPosition = counts.map((row) => -row.reduce((h, n) => (n === 0 ? h : h + (n / count) * Math.log2(n / count)), 0));
  return {
    designedBits: 10 * Math.log2(26),
    measuredBits: perPosition.reduce((a, b) => a + b, 0),
    minPositionBits: Math.min(...perPosition),
    space: 26 ** 10,
  };
}

async function startEdge(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['edge/src/node.ts'], {
    cwd: root,
    env: {
      ...process.env,
      EDGE_PORT: String(port),
      EDGE_HOST: '127.0.0.1',
      EDGE_TRUSTED_PROXIES: 'loopback',
      DATABASE_URL: databaseUrl,
      UPSTASH_REDIS_REST_URL: gatewayUrl,
      UPSTASH_REDIS_REST_TOKEN: gatewayToken,
      JWT_SECRET: randomBytes(32).toString('hex'),
      LIVEKIT_API_KEY: 'bench',
      LIVEKIT_API_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return child;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('the edge did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
}

const randomCode = (): string => generateMeetingCode();

async function main(): Promise<void> {
  const loadAtStart = loadavg()[0] ?? 0;
  const entropy = measureEntropy(sampleCodes);
  console.log(`entropy: designed ${entropy.designedBits.toFixed(3)} bits, measured ${entropy.measuredBits.toFixed(3)} bits over ${sampleCodes} codes`);

  await ensureMigratedDatabase(databaseUrl);
  const pg = createNodeDb(databaseUrl, { shared: false, max: 1 });
  const port = await freePort();
  let edge: ChildProcess | undefined;
  const tag = randomBytes(4).toString('hex');
  let userId: string | undefined;
  try {
    // One real meeting that accepts guests: the attacker must not learn it exists once refused.
    const [user] = await pg.sql<{ id: string }[]>`
      insert into users (username, email, password_hash) values (${`bench_link_${tag}`}, ${`bench_link_${tag}@example.test`}, 'x') returning id`;
    userId = user!.id;
    const realCode = randomCode();
    await pg.sql`
      insert into meetings (title, meeting_code, creator_id, start_time, duration_minutes, settings)
      values ('Bench', ${realCode}, ${userId}, now(), 30, ${JSON.stringify({ entry: 'guests' })}::jsonb)`;
    edge = await startEdge(port);

    const attacker = `2001:db8:${randomBytes(2).toString('hex')}:${randomBytes(2).toString('hex')}::1`;
    const statuses = new Map<number, number>();
    let sent = 0;
    let firstRefusalAt: number | undefined;
    const started = Date.now();
    const until = started + durationSeconds * 1000;
    const worker = async () => {
      while (Date.now() < until && sent < MAX_REQUESTS) {
        sent += 1;
        const response = await fetch(`http://127.0.0.1:${port}/api/v1/meetings/by-code/${randomCode()}`, {
          headers: { 'x-forwarded-for': attacker },
        });
        await response.arrayBuffer();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 429 && firstRefusalAt === undefined) firstRefusalAt = Date.now() - started;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const elapsedSeconds = (Date.now() - started) / 1000;
    const realAfter = await fetch(`http://127.0.0.1:${port}/api/v1/meetings/by-code/${realCode}`, { headers: { 'x-forwarded-for': attacker } });
    const retryAfter = Number(realAfter.headers.get('retry-after'));
    const otherAddress = await fetch(`http://127.0.0.1:${port}/api/v1/meetings/by-code/${realCode}`, {
      headers: { 'x-forwarded-for': `2001:db8:ffff:${randomBytes(2).toString('hex')}::1` },
    });

    const answered = statuses.get(404) ?? 0;
    // The miss budget is a sliding one-hour window: what it answered in this run, it
    // answers again each hour — 24 times a day, at best for the attacker.
    const answeredPerDay = answered * 24;
    const p = openMeetings / entropy.space;
    const expectedPerDay = answeredPerDay * p;
    const rows = {
      requests: sent,
      elapsedSeconds,
      answered,
      refused: statuses.get(429) ?? 0,
      other: [...statuses.entries()].filter(([s]) => s !== 404 && s !== 429),
      firstRefusalMs: firstRefusalAt,
      realCodeAfter: realAfter.status,
      retryAfter,
      otherAddress: otherAddress.status,
      answeredPerDay,
      expectedPerDay,
    };
    console.log(JSON.stringify(rows, null, 2));
    if (rows.other.length > 0 || otherAddress.status !== 200 || realAfter.status !== 429) {
      throw new Error('unexpected answers: the limits do not behave as documented');
    }

    const command = `npm run bench:link -- --duration=${durationSeconds} --open=${openMeetings}`;
    const fmt = (n: number) => n.toExponential(2);
    const section = [
      '## Link entry: guessing meeting codes',
      '',
      `\`${command}\` — ${new Date().toISOString().slice(0, 10)}, edge on the Node adapter (default link limits), ` +
        `load average ${loadAtStart.toFixed(1)} at start.`,
      '',
      '| figure | value |',
      '|---|---|',
      `| code space | 26^10 = ${entropy.space.toExponential(3)} codes (\`abc-defg-hij\`, letters drawn uniformly by rejection sampling) |`,
      `| entropy, designed | ${entropy.designedBits.toFixed(2)} bits |`,
      `| entropy, measured (${sampleCodes.toLocaleString('en')} generated codes, sum of per-position Shannon entropies) | ${entropy.measuredBits.toFixed(2)} bits (lowest position ${entropy.minPositionBits.toFixed(3)} of 4.700) |`,
      `| guesses sent from one address in ${elapsedSeconds.toFixed(1)} s (${CONCURRENCY} at a time) | ${sent} |`,
      `| answered (404) | ${answered} — then 429 from request ${answered + 1} on, after ${firstRefusalAt ?? '—'} ms |`,
      `| refused (429) | ${rows.refused} |`,
      `| a real, open code asked after that from the same address | ${realAfter.status} (Retry-After ${retryAfter} s): a refused address learns nothing |`,
      `| the same real code from another address | ${otherAddress.status} |`,
      `| guesses answered per address per day (sliding one-hour miss window) | ${answeredPerDay} |`,
      `| expected valid codes found per address per day, ${openMeetings.toLocaleString('en')} meetings open to link entry | ${fmt(expectedPerDay)} |`,
      `| … with 100,000 addresses (a botnet; IPv6 counted per /64) | ${fmt(expectedPerDay * 100_000)} |`,
      '',
      'Expected finds = answered guesses × open meetings / 26^10. A found code only leads to the lobby, where a host',
      'decides; `invited` meetings (the default) and ended ones answer the same 404 as unknown codes.',
      '',
    ].join('\n');
    if (args.get('no-write') !== 'true') writeBenchmarkSection(`${root}BENCHMARKS.md`, '## Link entry: guessing meeting codes', section);
    console.log(section);
  } finally {
    edge?.kill('SIGTERM');
    if (userId) {
      await pg.sql`delete from meetings where creator_id = ${userId}`;
      await pg.sql`delete from users where id = ${userId}`;
    }
    await pg.close();
  }
}

const abort = setTimeout(() => {
  console.error('bench:link: aborted after 5 minutes');
  process.exit(1);
}, 300_000);
abort.unref();
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
