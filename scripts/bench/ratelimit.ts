// Rate-limit bench: `npm run bench:ratelimit` (node scripts/bench/ratelimit.ts).
//
// Why the edge clears an account's login limit by a refund and not by @upstash/ratelimit's
// resetUsedTokens: the library's reset is one Lua script that SCANs the whole keyspace
// for `{prefix}:{identifier}:*` and blocks Redis while it runs. This measures both on a
// throwaway redis-server (loopback, no persistence, its own free port) filled with
// 10k / 100k / 1M keys (DEBUG POPULATE), using the library's own script texts:
//   a. resetUsedTokens' reset script, 5 runs per size;
//   b. the sliding-window limit script (one hit or one refund on two keys), 200 runs at 1M.
// Bounded: at most ~1M keys (~100 MB) and a few hundred commands; the server is stopped
// at the end. Options: --no-write (do not update BENCHMARKS.md).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createClient } from '@redis/client';
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { freePort } from '../src/testing/ports.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const write = !process.argv.includes('--no-write');

/** The library's Lua texts, read from the installed package (the version the edge runs). */
function libraryScripts(): { reset: string; slidingWindow: string; version: string } {
  const require = createRequire(`${root}edge/package.json`);
  const entry = require.resolve('@upstash/ratelimit');
  const source = readFileSync(entry.replace(/index\.js$/, 'index.mjs'), 'utf8');
  const pick = (name: string) => {
    const text = new RegExp(`var ${name} = \`([\\s\\S]*?)\`;`).exec(source)?.[1];
    if (!text) throw new Error(`@upstash/ratelimit: ${name} not found`);
    return text;
  };
  const version = (JSON.parse(readFileSync(entry.replace(/dist\/index\.js$/, 'package.json'), 'utf8')) as { version: string }).version;
  // Plain Redis refuses the Upstash-only shebang flag; the gateway drops it the same way.
  return { reset: pick('resetScript'), slidingWindow: pick('slidingWindowLimitScript').replace(/^#![^\n]*\n/, ''), version };
}


const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const quantile = (values: number[], q: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))]!;

async function main(): Promise<void> {
  const scripts = libraryScripts();
  const port = await freePort();
  const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--enable-debug-command', 'local'], {
    stdio: 'ignore',
  });
  const watchdog = setTimeout(() => {
    console.error('bench:ratelimit: aborted after 5 minutes');
    server.kill('SIGKILL');
    process.exit(1);
  }, 5 * 60_000);
  const client = createClient({ url: `redis://127.0.0.1:${port}` });
  const rows: string[] = [];
  const loadAtStart = loadavg()[0] ?? 0;
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await client.connect();
        break;
      } catch (error) {
        if (attempt > 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    for (const total of [10_000, 100_000, 1_000_000]) {
      await client.flushAll();
      await client.sendCommand(['DEBUG', 'POPULATE', String(total), 'session']);
      const times: number[] = [];
      for (let i = 0; i < 5; i++) {
        const started = performance.now();
        await client.eval(scripts.reset, { keys: ['ratelimit:login:account:0123abcd:*'], arguments: [''] });
        times.push(performance.now() - started);
      }
      console.error(`bench:ratelimit: reset over ${total} keys: median ${median(times).toFixed(1)} ms`);
      rows.push(`| resetUsedTokens (keyspace SCAN in one script) | ${total.toLocaleString('en')} | 5 | ${median(times).toFixed(1)} | ${Math.max(...times).toFixed(1)} |`);
    }
    const now = Date.now();
    const windowMs = 900_000;
    const current = Math.floor(now / windowMs);
    const keys = [`ratelimit:login:account:bench:${current}`, `ratelimit:login:account:bench:${current - 1}`];
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      await client.eval(scripts.slidingWindow, { keys, arguments: ['10', String(now), String(windowMs), i % 2 ? '-1' : '1'] });
      times.push(performance.now() - started);
    }
    rows.push(`| sliding-window hit or refund (what the edge does) | 1,000,000 | 200 | ${median(times).toFixed(2)} | ${quantile(times, 0.99).toFixed(2)} (p99) |`);
  } finally {
    clearTimeout(watchdog);
    await client.quit().catch(() => undefined);
    server.kill('SIGTERM');
  }
  const table = ['| operation | keys in Redis | runs | median ms | max ms |', '|---|---:|---:|---:|---:|', ...rows].join('\n');
  console.log(table);
  if (!write) return;
  const section = `## Rate limits

@upstash/ratelimit ${scripts.version}. Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:ratelimit\` (\`node scripts/bench/ratelimit.ts\`) on a
throwaway redis-server (loopback, no persistence) filled with \`DEBUG POPULATE\`; 2 shared cores, 1-minute load
average ${loadAtStart.toFixed(2)} when the run started. Each figure is the time of one command as the client sees it;
while a script runs, Redis serves nobody else.

${table}

The library's \`resetUsedTokens\` SCANs the whole keyspace inside one script, so its cost grows with everything else in
Redis (sessions, caches, streams). The edge therefore never calls it: the account login limit counts every attempt
before the password is checked, and a successful login gives its own hit back (\`limit(id, { rate: -1 })\`), one
script over two keys whatever the size of Redis.
`;
  writeBenchmarkSection(`${root}BENCHMARKS.md`, '## Rate limits', section);
}

await main();
