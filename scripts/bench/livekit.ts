// LiveKit benchmark: `npm run bench:livekit` (node scripts/bench/livekit.ts).
//
// One audio publisher (a 440 Hz tone, rtc-node) → N rtc-node subscribers in one room of
// a real livekit-server, all inside a network namespace of the bench's own (needs root;
// see scripts/src/testing/). For each N in --steps it measures the CPU time of the
// livekit-server process over --window seconds (from /proc/<pid>/stat) and reports
// livekit-server CPU per subscriber and the N it would hold under 80 % of one core,
// next to LiveKit's published figure (3,000 audio subscribers at 80 % of 16 cores,
// ≈ 190 per core). Subscribers run --per-process to a process; only one of them
// decodes audio (to prove media flows), so their own CPU stays small — but they share
// this machine with the server, so the figures are a floor, not LiveKit's ceiling.
// Bounded: at most 120 subscribers and 5 minutes. Options: --steps=10,20,40
// --window=8 --per-process=10 --no-write (do not update BENCHMARKS.md).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { AccessToken } from 'livekit-server-sdk';
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { createNetns, type Netns } from '../src/testing/netns.ts';
import { livekitSkipReason, startLivekitServer, type LivekitServer } from '../src/testing/livekit-server.ts';
import { startRtcParticipant, type RtcParticipant } from '../src/testing/rtc-participant-client.ts';
import { benchArgs } from './bench-args.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const args = benchArgs();
const MAX_SUBSCRIBERS = 120;
const STEPS = (args.get('steps') ?? '10,20,40')
  .split(',')
  .map(Number)
  .filter((n) => Number.isInteger(n) && n > 0 && n <= MAX_SUBSCRIBERS)
  .sort((a, b) => a - b);
const WINDOW_SECONDS = Math.min(30, Math.max(2, Number(args.get('window') ?? 8)));
const PER_PROCESS = Math.min(40, Math.max(1, Number(args.get('per-process') ?? 10)));
const RUN_TIMEOUT_MS = 5 * 60_000;
/** LiveKit: 3,000 audio subscribers at 80 % of 16 cores → per core at 80 % load. */
const PUBLISHED_PER_CORE = 3_000 / 16;
const apiKey = 'bench';
const apiSecret = randomBytes(32).toString('hex');
const roomName = `bench-${randomBytes(3).toString('hex')}`;
const loadAtStart = loadavg()[0] ?? 0;
const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

const skip = livekitSkipReason();
if (skip) {
  console.error(`bench:livekit cannot run here: ${skip}`);
  process.exit(1);
}

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) (utime, stime) are at index 11 and 12 after the name.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks;
}

/** Share of one core the process used over `seconds`. */
async function cpuShare(pid: number, seconds: number): Promise<number> {
  const start = cpuSeconds(pid);
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  return (cpuSeconds(pid) - start) / elapsed;
}

async function token(identity: string, publish: boolean): Promise<string> {
  const t = new AccessToken(apiKey, apiSecret, { identity, ttl: 900 });
  t.addGrant({ room: roomName, roomJoin: true, canPublish: publish, canSubscribe: !publish });
  return t.toJwt();
}

interface SubscriberProcess {
  child: ChildProcess;
  events: Record<string, unknown>[];
}

function startSubscribers(ns: Netns, url: string, tokens: string[]): Promise<SubscriberProcess> {
  const child = ns.spawn(process.execPath, [fileURLToPath(new URL('./livekit-subscribers.ts', import.meta.url))], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { ...process.env, RUST_LOG: 'error' },
  });
  const events: Record<string, unknown>[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('subscribers did not connect within 60 s')), 60_000);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let event: Record<string, unknown>;
      try {
        event = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      events.push(event);
      if (event.event === 'connected') {
        clearTimeout(timer);
        resolve({ child, events });
      } else if (event.event === 'error') {
        clearTimeout(timer);
        reject(new Error(String(event.message)));
      }
    });
    child.stdin!.write(`${JSON.stringify({ cmd: 'connect', url, tokens })}\n`);
  });
}

interface Row {
  subscribers: number;
  serverCores: number;
}

async function main(): Promise<void> {
  const ns = await createNetns();
  let livekit: LivekitServer | undefined;
  let publisher: RtcParticipant | undefined;
  const groups: SubscriberProcess[] = [];
  try {
    livekit = await startLivekitServer(ns, { apiKey, apiSecret, logLevel: 'warn', emptyTimeoutSeconds: 60 });
    const pid = livekit.process.pid!;
    publisher = await startRtcParticipant(ns);
    await publisher.connect(livekit.url, await token('publisher', true));
    await publisher.command({ cmd: 'publishTone', frequencyHz: 440, amplitude: 0.3 });
    await new Promise((r) => setTimeout(r, 2_000));
    const rows: Row[] = [{ subscribers: 0, serverCores: await cpuShare(pid, WINDOW_SECONDS) }];
    console.log(`N=0: livekit-server ${(rows[0]!.serverCores * 100).toFixed(1)} % of a core`);
    let connected = 0;
    for (const target of STEPS) {
      while (connected < target) {
        const count = Math.min(PER_PROCESS, target - connected);
        const tokens = await Promise.all(Array.from({ length: count }, (_, i) => token(`sub-${connected + i}`, false)));
        groups.push(await startSubscribers(ns, livekit.url, tokens));
        connected += count;
      }
      // Let subscriptions settle, then check that media reaches the first subscriber.
      await new Promise((r) => setTimeout(r, 3_000));
      const audio = groups[0]!.events.filter((e) => e.event === 'audio').at(-1);
      if (!audio || Number(audio.rms) < 0.05) throw new Error(`subscribers receive no audio (last: ${JSON.stringify(audio)})`);
      const serverCores = await cpuShare(pid, WINDOW_SECONDS);
      rows.push({ subscribers: connected, serverCores });
      console.log(`N=${connected}: livekit-server ${(serverCores * 100).toFixed(1)} % of a core`);
      if (serverCores > 0.8) break;
    }
    report(rows);
  } finally {
    for (const group of groups) group.child.stdin?.end(`${JSON.stringify({ cmd: 'exit' })}\n`);
    await publisher?.close();
    await livekit?.stop();
    await ns.close();
  }
}

function report(rows: Row[]): void {
  const base = rows[0]!.serverCores;
  const last = rows.at(-1)!;
  const perSubscriber = last.subscribers > 0 ? (last.serverCores - base) / last.subscribers : Number.NaN;
  const at80 = perSubscriber > 0 ? Math.floor((0.8 - base) / perSubscriber) : Number.NaN;
  const lines = rows.map((r) => {
    const per = r.subscribers > 0 ? `${(((r.serverCores - base) / r.subscribers) * 100).toFixed(2)} %` : '—';
    return `| ${r.subscribers} | ${(r.serverCores * 100).toFixed(1)} % | ${per} |`;
  });
  const section = `## LiveKit SFU

One audio publisher → N subscribers on livekit-server v1.13.5.
\`npm run bench:livekit\` (scripts/bench/livekit.ts; options \`--steps=${STEPS.join(',')} --window=${WINDOW_SECONDS} --per-process=${PER_PROCESS}\`).
A real livekit-server and rtc-node 1.1 clients inside a network namespace of the bench's own
(lo + veth, no traffic on the machine's interfaces); one publisher sends a 440 Hz Opus tone,
N subscribers (${PER_PROCESS} per process, one decoding to prove media flows) receive it.
CPU is livekit-server's own (user + system from /proc), averaged over ${WINDOW_SECONDS} s per step.
Machine: ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, load average ${loadAtStart.toFixed(1)} at start
(shared with other work and with the subscriber processes themselves: read the figures as a
rough floor of what one core carries, not LiveKit's ceiling). Measured ${new Date().toISOString().slice(0, 10)}.

| subscribers | livekit-server CPU (one core = 100 %) | CPU per subscriber (above N=0) |
|---|---|---|
${lines.join('\n')}

Per subscriber: ${(perSubscriber * 100).toFixed(2)} % of a core → about **${Number.isFinite(at80) ? at80 : 'n/a'} audio subscribers under 80 % of one core**
here, against LiveKit's published 3,000 audio subscribers at 80 % of 16 cores (≈ ${Math.round(PUBLISHED_PER_CORE)} per core).
`;
  console.log(`\n${section}`);
  if (args.get('no-write') !== 'true') writeBenchmarkSection(`${root}/BENCHMARKS.md`, '## LiveKit SFU', section);
}

const timeout = setTimeout(() => {
  console.error(`bench:livekit took longer than ${RUN_TIMEOUT_MS / 60_000} minutes; aborting`);
  process.exit(1);
}, RUN_TIMEOUT_MS);
timeout.unref();
main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
