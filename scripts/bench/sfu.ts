// SFU benchmark: `npm run bench:sfu` (node scripts/bench/sfu.ts). Needs a mediasoup
// worker: MEDIASOUP_WORKER_BIN=/path/to/mediasoup-worker.
//
// Runs the media node's mediasoup engine (media-node/src/sfu/mediasoup) in this process
// with ONE worker, and one meeting on it: a sender produces one Opus microphone (50
// packets/s, 80-byte payloads ≈ 32 kbit/s) and one VP8 camera (30 frames/s, ≈ 1 Mbit/s,
// frames split into ≤ 1,100-byte packets, a key frame every 2 s) over plain RTP from
// Node. Receivers join in steps, each with a plain receiving transport consuming both
// (2 consumers per receiver). The first 10 receivers send to a UDP socket of this
// process that counts packets (loss per kind); the others send to a loopback port
// nobody listens on (the kernel discards them), so this process does not have to read
// N × 1 Mbit/s on the same two cores. At each step: worker CPU (getResourceUsage, % of
// one core) over a measuring window, loss at the sampled receivers, the SFU's own
// forwarding ratio over all consumers (RTP bytes sent ÷ bytes received × receivers),
// and the worker's resident memory per consumer. Stops at the last step, or when the
// worker passes 95 % of a core, forwards less than 90 %, or the sampled loss passes
// 20 %. Loopback only. Bounded: aborts after 4 minutes.
// Options: --steps=20,100,200,300,400,500,600,800 (consumers) --window=6 (seconds)
// --no-write (do not update BENCHMARKS.md).
import { randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { SfuRequest, SignalingNotification } from '../../protocol/src/index.ts';
import type { SfuRoomEvents } from '../../media-node/src/sfu/engine.ts';
import { loadMediasoupConfig } from '../../media-node/src/sfu/mediasoup/config.ts';
import { MediasoupEngine } from '../../media-node/src/sfu/mediasoup/engine.ts';
import { writeBenchmarkSection } from './benchmarks-file.ts';
import { benchArgs } from './bench-args.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const args = benchArgs();
const STEPS = (args.get('steps') ?? '20,100,200,300,400,500,600,800')
  .split(',')
  .map((s) => Math.min(2_000, Math.max(2, Math.round(Number(s) / 2) * 2)))
  .filter((n, i, all) => Number.isFinite(n) && all.indexOf(n) === i)
  .sort((a, b) => a - b);
const WINDOW_S = Math.min(30, Math.max(2, Number(args.get('window') ?? 6)));
const WARMUP_MS = 2_000;
const RUN_TIMEOUT_MS = 4 * 60_000;
const CPU_STOP_PERCENT = 95;
const LOSS_STOP = 0.2;
const GUIDELINE_CONSUMERS = 500;
const FORWARDING_STOP = 0.9;
/** Receivers whose packets this process counts. */
const SAMPLED_RECEIVERS = 10;

const AUDIO_SSRC = 111_111;
const VIDEO_SSRC = 222_222;
const AUDIO_PT = 100;
const VIDEO_PT = 101;
const AUDIO_PAYLOAD_BYTES = 80;
const VIDEO_BITRATE = 1_000_000;
const VIDEO_FPS = 30;
const VIDEO_MTU_PAYLOAD = 1_100;
const KEYFRAME_EVERY_FRAMES = 60;

const log = (message: string) => console.error(`bench:sfu: ${message}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const loadAtStart = loadavg()[0] ?? 0;

interface Step {
  consumers: number;
  receivers: number;
  cpuPercent: number;
  audioLoss: number;
  videoLoss: number;
  forwarding: number;
  rssMiB: number;
  kibPerConsumer: number;
  /** 1-minute load average of the machine at the end of the step. */
  load: number;
}

async function main(): Promise<void> {
  const workerBin = process.env.MEDIASOUP_WORKER_BIN;
  if (!workerBin) {
    log('needs a mediasoup worker: set MEDIASOUP_WORKER_BIN=/path/to/mediasoup-worker');
    process.exit(2);
  }
  const watchdog = setTimeout(() => {
    log(`aborted after ${RUN_TIMEOUT_MS / 60_000} minutes`);
    process.exit(1);
  }, RUN_TIMEOUT_MS);
  watchdog.unref();

  const metricsRegistry = new Registry();
  const config = loadMediasoupConfig({
    MEDIASOUP_WORKER_BIN: workerBin,
    MEDIASOUP_WORKERS: '1',
    MEDIASOUP_PORT_BASE: '0',
    MEDIASOUP_ALLOW_PLAIN_TRANSPORTS: 'true',
    MEDIASOUP_ROUTER_CONSUMERS_MAX: '100000',
    MEDIASOUP_LOG_LEVEL: 'error',
    MEDIASOUP_STATS_INTERVAL_MS: '1000',
  });
  const engine = await MediasoupEngine.create(config, pino({ level: 'warn' }), metricsRegistry);
  const receiver = createSocket({ type: 'udp4', recvBufferSize: 16 * 1024 * 1024 });
  const sender = createSocket('udp4');
  const steps: Step[] = [];
  try {
    await new Promise<void>((resolve) => receiver.bind(0, '127.0.0.1', () => resolve()));
    await new Promise<void>((resolve) => sender.bind(0, '127.0.0.1', () => resolve()));
    const sinkPort = await unusedUdpPort();
    const received = { audio: 0, video: 0 };
    const kindOfSsrc = new Map<number, 'audio' | 'video'>();
    receiver.on('message', (msg) => {
      if (msg.length < 12) return;
      const kind = kindOfSsrc.get(msg.readUInt32BE(8));
      if (kind) received[kind] += 1;
    });

    const pending: { userId: string; consumerId: string }[] = [];
    const events: SfuRoomEvents = {
      notify: (userId, n: SignalingNotification) => {
        if (n.method !== 'sfu.newConsumer') return;
        const encodings = n.data.rtpParameters.encodings as { ssrc: number }[];
        kindOfSsrc.set(encodings[0]!.ssrc, n.data.kind);
        pending.push({ userId, consumerId: n.data.consumerId });
      },
      mediaChanged: () => {},
      activeSpeaker: () => {},
      audioLevels: () => {},
    };
    const room = await engine.openRoom(randomUUID(), events);
    let requestId = 0;
    const request = async (userId: string, r: Omit<SfuRequest, 'id'>): Promise<Record<string, unknown>> => {
      const result = await room.handle(userId, { ...r, id: ++requestId } as SfuRequest);
      if (!result.ok) throw new Error(`${r.method}: ${result.error.code} ${result.error.message}`);
      return result.data as Record<string, unknown>;
    };

    // The sender: one plain transport, Opus + VP8.
    const senderId = randomUUID();
    await room.join({ userId: senderId, peerId: 'sender', name: 'sender', role: 'host' });
    const send = (await request(senderId, { method: 'sfu.createTransport', data: { direction: 'send', type: 'plain', comedia: true } })) as {
      transportId: string;
      ip: string;
      port: number;
    };
    await request(senderId, {
      method: 'sfu.produce',
      data: {
        transportId: send.transportId,
        kind: 'audio',
        source: 'mic',
        rtpParameters: { codecs: [{ mimeType: 'audio/opus', payloadType: AUDIO_PT, clockRate: 48_000, channels: 2 }], encodings: [{ ssrc: AUDIO_SSRC }] },
      },
    });
    await request(senderId, {
      method: 'sfu.produce',
      data: {
        transportId: send.transportId,
        kind: 'video',
        source: 'camera',
        rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: VIDEO_PT, clockRate: 90_000 }], encodings: [{ ssrc: VIDEO_SSRC }] },
      },
    });
    const traffic = startTraffic(sender, { ip: send.ip, port: send.port });
    await sleep(1_000);
    const workerPid = engine.workerPids()[0]!;
    const baseRss = rssKiB(workerPid);
    const routerCapabilities = (await request(senderId, { method: 'sfu.getRouterRtpCapabilities', data: {} })).rtpCapabilities as Record<string, unknown>;
    // Receivers take no header extensions: what the worker sends is then byte for byte what it forwards.
    const rtpCapabilities = { ...routerCapabilities, headerExtensions: [] };
    log(`worker pid ${workerPid}, RSS ${(baseRss / 1024).toFixed(1)} MiB with the two producers; steps ${STEPS.join(', ')} consumers`);

    let receivers = 0;
    for (const consumers of STEPS) {
      const target = consumers / 2;
      while (receivers < target) {
        const userId = randomUUID();
        await room.join({ userId, peerId: userId, name: 'r', role: 'attendee' });
        const t = (await request(userId, {
          method: 'sfu.createTransport',
          data: { direction: 'recv', type: 'plain', comedia: false, rtpCapabilities },
        })) as { transportId: string };
        const port = receivers < SAMPLED_RECEIVERS ? receiver.address().port : sinkPort;
        await request(userId, { method: 'sfu.connectTransport', data: { transportId: t.transportId, ip: '127.0.0.1', port } });
        receivers += 1;
      }
      // Consumers start paused: resume each as a client would.
      await waitUntil(() => pending.length >= target * 2 - (steps.at(-1)?.consumers ?? 0), 10_000);
      for (const c of pending.splice(0)) await request(c.userId, { method: 'sfu.resumeConsumer', data: { consumerId: c.consumerId } });
      await sleep(WARMUP_MS);

      const bytesBefore = sfuBytes(await metricsRegistry.getMetricsAsJSON());
      const usageBefore = await engine.workerCpuMs();
      const sentBefore = { ...traffic.sent };
      const receivedBefore = { ...received };
      const startedAt = performance.now();
      await sleep(WINDOW_S * 1_000);
      const wallMs = performance.now() - startedAt;
      const cpuPercent = ((await engine.workerCpuMs()) - usageBefore) / wallMs * 100;
      const sentAudio = traffic.sent.audio - sentBefore.audio;
      const sentVideo = traffic.sent.video - sentBefore.video;
      const gotAudio = received.audio - receivedBefore.audio;
      const gotVideo = received.video - receivedBefore.video;
      // Byte counters are sampled every second: wait for one more sample.
      await sleep(1_500);
      const bytesAfter = sfuBytes(await metricsRegistry.getMetricsAsJSON());
      const inBytes = bytesAfter.received - bytesBefore.received;
      const outBytes = bytesAfter.sent - bytesBefore.sent;
      const rss = rssKiB(workerPid);
      const sampled = Math.min(receivers, SAMPLED_RECEIVERS);
      const step: Step = {
        consumers,
        receivers,
        cpuPercent,
        audioLoss: Math.max(0, 1 - gotAudio / Math.max(1, sentAudio * sampled)),
        videoLoss: Math.max(0, 1 - gotVideo / Math.max(1, sentVideo * sampled)),
        forwarding: outBytes / Math.max(1, inBytes * receivers),
        rssMiB: rss / 1024,
        kibPerConsumer: (rss - baseRss) / consumers,
        load: loadavg()[0] ?? 0,
      };
      steps.push(step);
      log(
        `${consumers} consumers: worker CPU ${cpuPercent.toFixed(1)} %, loss audio ${(step.audioLoss * 100).toFixed(2)} % video ${(step.videoLoss * 100).toFixed(2)} %, forwarding ${(step.forwarding * 100).toFixed(1)} %, RSS ${step.rssMiB.toFixed(1)} MiB`,
      );
      if (cpuPercent > CPU_STOP_PERCENT || step.forwarding < FORWARDING_STOP || Math.max(step.audioLoss, step.videoLoss) > LOSS_STOP) {
        log('stopping: the worker is saturated');
        break;
      }
    }
    traffic.stop();
    await room.close();
  } finally {
    receiver.close();
    sender.close();
    await engine.close();
    clearTimeout(watchdog);
  }
  const section = renderSection(steps);
  console.log(`\n${section}`);
  if (!args.has('no-write')) writeBenchmarkSection(join(root, 'BENCHMARKS.md'), '## SFU (mediasoup)', section);
}

/** Paces Opus (50 packets/s) and VP8 (30 frames/s, ≈ 1 Mbit/s) to the producers' plain transport. */
function startTraffic(socket: ReturnType<typeof createSocket>, to: { ip: string; port: number }) {
  const sent = { audio: 0, video: 0 };
  let audioSeq = 0;
  let videoSeq = 0;
  let frame = 0;
  const started = performance.now();
  let audioDue = 0;
  let videoDue = 0;
  const frameBytes = Math.round(VIDEO_BITRATE / 8 / VIDEO_FPS);
  const packet = (pt: number, seq: number, ts: number, ssrc: number, marker: boolean, payload: Buffer) => {
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = (marker ? 0x80 : 0) | pt;
    header.writeUInt16BE(seq & 0xffff, 2);
    header.writeUInt32BE(ts >>> 0, 4);
    header.writeUInt32BE(ssrc, 8);
    return Buffer.concat([header, payload]);
  };
  const timer = setInterval(() => {
    const elapsed = performance.now() - started;
    while (audioDue <= elapsed) {
      const payload = Buffer.alloc(AUDIO_PAYLOAD_BYTES, 0x55);
      payload[0] = 0x78; // Opus TOC: SILK WB 20 ms, mono
      socket.send(packet(AUDIO_PT, audioSeq++, Math.round(audioDue * 48), AUDIO_SSRC, false, payload), to.port, to.ip);
      sent.audio += 1;
      audioDue += 20;
    }
    while (videoDue <= elapsed) {
      const key = frame % KEYFRAME_EVERY_FRAMES === 0;
      const size = key ? frameBytes * 4 : frameBytes;
      const ts = Math.round(videoDue * 90);
      for (let offset = 0; offset < size; offset += VIDEO_MTU_PAYLOAD) {
        const chunk = Math.min(VIDEO_MTU_PAYLOAD, size - offset);
        const payload = Buffer.alloc(1 + chunk, 0x33);
        // VP8 payload descriptor: S bit on the first packet of a frame, partition 0.
        payload[0] = offset === 0 ? 0x10 : 0x00;
        if (offset === 0) {
          // VP8 frame tag: bit 0 clear = key frame; show_frame set. Key frames carry the start code and 640x360.
          payload[1] = key ? 0x10 : 0x11;
          if (key) payload.set([0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01], 2);
        }
        const last = offset + chunk >= size;
        socket.send(packet(VIDEO_PT, videoSeq++, ts, VIDEO_SSRC, last, payload), to.port, to.ip);
        sent.video += 1;
      }
      frame += 1;
      videoDue += 1000 / VIDEO_FPS;
    }
  }, 5);
  return { sent, stop: () => clearInterval(timer) };
}

function sfuBytes(metrics: { name: string; values: { value: number }[] }[]): { received: number; sent: number } {
  const sum = (name: string) => metrics.find((m) => m.name === name)?.values.reduce((s, v) => s + v.value, 0) ?? 0;
  return { received: sum('huddle_media_sfu_rtp_bytes_received_total'), sent: sum('huddle_media_sfu_rtp_bytes_sent_total') };
}

/** Resident memory of a process, KiB (Linux /proc). */
function rssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(match?.[1] ?? 0);
}

/** A loopback UDP port nothing listens on (bound once, then released). */
async function unusedUdpPort(): Promise<number> {
  const probe = createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

async function waitUntil(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for consumers');
    await sleep(20);
  }
}

function renderSection(steps: Step[]): string {
  // Steps the worker carried cleanly: no loss at the sampled receivers, everything forwarded.
  const clean = steps.filter((s) => s.cpuPercent < 80 && Math.max(s.audioLoss, s.videoLoss) < 0.01 && s.forwarding >= 0.99);
  const largest = clean.at(-1);
  // CPU per consumer at the largest clean step, to estimate where 80 % of a core falls.
  const slope = largest && largest.consumers > 0 ? largest.cpuPercent / largest.consumers : 0;
  const estimate = slope > 0 ? Math.floor(80 / slope) : undefined;
  const cmd = `node scripts/bench/sfu.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const rows = steps.map(
    (s) =>
      `| ${s.consumers} | ${s.receivers} | ${s.cpuPercent.toFixed(1)} | ${(s.audioLoss * 100).toFixed(2)} | ${(s.videoLoss * 100).toFixed(2)} | ${(s.forwarding * 100).toFixed(1)} | ${s.rssMiB.toFixed(1)} | ${s.kibPerConsumer.toFixed(1)} | ${s.load.toFixed(1)} |`,
  );
  return [
    '## SFU (mediasoup)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:sfu\` (\`MEDIASOUP_WORKER_BIN=… ${cmd}\`),`,
    `on ${cpus().length} shared cores (${cpu}), noisy: other work ran at the same time (1-minute load average ${loadAtStart.toFixed(2)} when the run started).`,
    'One mediasoup worker (3.27.1, built by hand for this machine) and one meeting: one Opus producer (50 packets/s, 80-byte payloads)',
    `and one VP8 producer (30 frames/s, ≈ 1 Mbit/s, ≤ ${VIDEO_MTU_PAYLOAD}-byte packets, a key frame every 2 s) sent from Node over plain RTP;`,
    'receivers on plain transports, each consuming both (2 consumers per receiver); the first 10 receivers send to a UDP socket of the bench',
    'that counts packets, the others to a loopback port nobody reads (so the bench does not compete with the worker to read N × 1 Mbit/s).',
    `Loopback only. Each step: ${WARMUP_MS / 1000} s warm-up, ${WINDOW_S} s measured.`,
    '',
    '| consumers | receivers | worker CPU % of one core | audio loss % | video loss % | SFU forwarding % | worker RSS MiB | RSS KiB per consumer | load avg |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    largest
      ? `- Largest measured step the worker carried cleanly (under 80 % of one core, < 1 % loss, ≥ 99 % forwarded): **${largest.consumers} consumers** (${largest.cpuPercent.toFixed(1)} %).`
      : '- No measured step was carried cleanly.',
    estimate !== undefined
      ? `- Linear estimate from that step (${slope.toFixed(3)} % of a core per consumer): **≈ ${estimate} consumers at 80 % of one core**, next to mediasoup's published guideline of about ${GUIDELINE_CONSUMERS} consumers per worker.`
      : '',
    '- Loss with the worker well under one core means the worker was not given the CPU it needed: on a shared machine (see *load avg*) its',
    '  socket buffer overflows while it waits to be scheduled, and the packets it never read do not count against *SFU forwarding*.',
    `- *loss* is counted at the ${SAMPLED_RECEIVERS} sampled receivers, whose socket shares the two cores with the worker and the sender.`,
    '  *SFU forwarding* is the worker\'s own RTP bytes sent ÷ (bytes received × receivers), over every consumer: below 100 % the worker dropped packets.',
    '- Plain RTP costs the worker less than WebRTC: no SRTP encryption, no ICE/DTLS, no bandwidth estimation per receiver. mediasoup\'s guideline is',
    '  for WebRTC consumers, so read these counts as an upper bound for browsers.',
    '- *RSS per consumer* is the worker\'s resident memory growth over the two producers alone, divided by consumers (a receiver\'s transport included).',
    '',
  ]
    .filter((line, i, all) => line !== '' || all[i - 1] !== '')
    .join('\n');
}

await main();
