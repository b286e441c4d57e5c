// Cost of one password hash (scrypt, edge/src/services/passwords.ts) under Node and in workerd.
//
//   node scripts/bench/password-hash.ts              # Node, in-process
//   node scripts/bench/password-hash.ts --workerd    # inside workerd (wrangler test harness)
//   options: --iterations=20  --params=16384,8,5;32768,8,3   (N,r,p sets; default: the current one)
//
// Prints one JSON line per parameter set: median, p95 and mean milliseconds per hash. In
// workerd each request runs one hash and is timed from outside (Worker clocks only move
// around I/O); the round trip of a request that hashes nothing is measured and subtracted.
import { fileURLToPath } from 'node:url';
import { CURRENT_SCRYPT_PARAMS, hashPassword, type ScryptParams } from '../../edge/src/services/passwords.ts';
import { benchArgs } from './bench-args.ts';

const args = benchArgs();
const iterations = Number(args.get('iterations') ?? 20);
const paramSets: ScryptParams[] = args.has('params')
  ? (args.get('params') ?? '').split(';').map((set) => {
      const [N, r, p] = set.split(',').map(Number);
      return { N: N ?? 0, r: r ?? 0, p: p ?? 0 };
    })
  : [CURRENT_SCRYPT_PARAMS];

function summarise(samplesMs: number[]) {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  const mean = sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return { medianMs: round(at(0.5)), p95Ms: round(at(0.95)), meanMs: round(mean) };
}
const round = (v: number) => Math.round(v * 10) / 10;
const memoryMiB = (p: ScryptParams) => (128 * p.N * p.r) / 2 ** 20;

async function benchNode(): Promise<void> {
  for (const params of paramSets) {
    await hashPassword('warm-up', params);
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const started = performance.now();
      await hashPassword(`bench-password-${i}`, params);
      samples.push(performance.now() - started);
    }
    report('node', params, summarise(samples));
  }
}

async function benchWorkerd(): Promise<void> {
  const { createTestHarness } = await import('wrangler');
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = 'false';
  process.env.WRANGLER_SEND_METRICS = 'false';
  const server = createTestHarness({
    root: fileURLToPath(new URL('.', import.meta.url)),
    workers: [{ configPath: 'password-hash.wrangler.toml' }],
  });
  await server.listen();
  try {
    const time = async (query: string): Promise<number> => {
      const started = performance.now();
      const response = await server.fetch(`/?${query}`);
      if (response.status !== 200) throw new Error(`bench worker answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
      return performance.now() - started;
    };
    const baseline: number[] = [];
    for (let i = 0; i < iterations; i++) baseline.push(await time('n=0'));
    const overhead = summarise(baseline).medianMs;
    for (const params of paramSets) {
      const query = `n=1&N=${params.N}&r=${params.r}&p=${params.p}`;
      await time(query);
      const samples: number[] = [];
      for (let i = 0; i < iterations; i++) samples.push((await time(query)) - overhead);
      report('workerd', params, { ...summarise(samples), requestOverheadMs: overhead });
    }
  } finally {
    await server.close();
  }
}

function report(runtime: string, params: ScryptParams, figures: Record<string, number>): void {
  console.log(JSON.stringify({ bench: 'password-hash', runtime, scrypt: params, memoryMiB: memoryMiB(params), iterations, ...figures }));
}

await (args.has('workerd') ? benchWorkerd() : benchNode());
