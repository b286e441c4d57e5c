// Helpers for the mediasoup suites: a node running the mediasoup engine (worker from
// MEDIASOUP_WORKER_BIN), RTP sent and received in Node over UDP on 127.0.0.1, and plain
// transports set up through the real signaling socket.
import { accessSync, constants } from 'node:fs';
import { createSocket, type Socket } from 'node:dgram';
import { sfuResponseSchemas } from '@huddle/protocol';
import { loadCaptionsConfig } from '../src/captions/config.ts';
import type { MediaNodeConfig } from '../src/config.ts';
import type { MediasoupEngine } from '../src/sfu/mediasoup/engine.ts';
import type { MediaNodeServer } from '../src/server.ts';
import { eventually, type Suite, type TestClient } from './signaling-helpers.ts';

/** Why the worker suites cannot run here, or undefined when a worker binary is at hand. */
export function workerSkipReason(): string | undefined {
  const bin = process.env.MEDIASOUP_WORKER_BIN;
  if (!bin) return 'MEDIASOUP_WORKER_BIN is not set';
  try {
    accessSync(bin, constants.X_OK);
    return undefined;
  } catch {
    return `MEDIASOUP_WORKER_BIN=${bin} is not an executable file`;
  }
}

/** Prints the suite's one skip line (when it skips) and tells whether it runs. */
export function workerSuiteRuns(suiteName: string): boolean {
  const reason = workerSkipReason();
  if (reason) console.log(`[skip] ${suiteName}: needs a mediasoup worker (${reason})`);
  return reason === undefined;
}

/**
 * Starts a node with the mediasoup engine: plain transports allowed, ports chosen by the
 * OS. Live captions are off, so that what the SFU holds is only what a test made (the
 * captions audio tap adds a transport and a consumer per microphone; its own suite
 * drives the tap directly).
 */
export async function startMediasoupNode(
  suite: Suite,
  env: Record<string, string> = {},
  config: Partial<MediaNodeConfig> = {},
): Promise<{ node: MediaNodeServer; engine: MediasoupEngine }> {
  const overrides: Partial<MediaNodeConfig> = {
    sfuEngine: 'mediasoup',
    captions: loadCaptionsConfig({ CAPTIONS_ENABLED: 'false' }),
    env: {
      ...suite.env,
      MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN ?? '',
      MEDIASOUP_WORKERS: '1',
      MEDIASOUP_PORT_BASE: '0',
      MEDIASOUP_ALLOW_PLAIN_TRANSPORTS: 'true',
      MEDIASOUP_STATS_INTERVAL_MS: '500',
      ...env,
    },
    ...config,
  };
  const node = await suite.startNode(overrides);
  if (!node.sfu?.available) throw new Error('the mediasoup engine did not start');
  return { node, engine: node.sfu as MediasoupEngine };
}

/** The audio level header extension (RFC 6464) tests send with id 1: what mediasoup's speaker observers read. */
export const AUDIO_LEVEL_URI = 'urn:ietf:params:rtp-hdrext:ssrc-audio-level';

/** RTP parameters of an Opus microphone sent by a test (payload type 100, audio level extension id 1). */
export function opusParameters(ssrc: number) {
  return {
    codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48_000, channels: 2, parameters: { useinbandfec: 1 } }],
    headerExtensions: [{ uri: AUDIO_LEVEL_URI, id: 1 }],
    encodings: [{ ssrc }],
  };
}

/** RTP parameters of a single-layer VP8 camera sent by a test (payload type 101). */
export function vp8Parameters(ssrc: number) {
  return {
    codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90_000 }],
    encodings: [{ ssrc }],
  };
}

/** A UDP socket on 127.0.0.1 that sends RTP and counts what it receives, per SSRC. */
export class RtpSocket {
  readonly socket: Socket;
  readonly received = new Map<number, number>();
  /** Payload types seen per SSRC. */
  readonly payloadTypes = new Map<number, number>();
  /** Next sequence number per SSRC (each stream counts on its own). */
  readonly #sequences = new Map<number, number>();
  #audioTimestamp = 0;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (msg) => {
      if (msg.length < 12 || msg[0]! >> 6 !== 2) return;
      const pt = msg[1]! & 0x7f;
      if (pt >= 72 && pt <= 79) return; // RTCP on a muxed port
      const ssrc = msg.readUInt32BE(8);
      this.received.set(ssrc, (this.received.get(ssrc) ?? 0) + 1);
      this.payloadTypes.set(ssrc, pt);
    });
  }

  static async open(): Promise<RtpSocket> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    return new RtpSocket(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Packets received in all. */
  get total(): number {
    let sum = 0;
    for (const n of this.received.values()) sum += n;
    return sum;
  }

  /**
   * Sends one RTP packet (marker off) with the next sequence number; `audioLevel`
   * (0 … 127, −dBov) adds the audio level extension with id 1.
   */
  send(
    to: { ip: string; port: number },
    packet: { ssrc: number; payloadType: number; timestamp: number; payload: Uint8Array; audioLevel?: number },
  ): void {
    const withLevel = packet.audioLevel !== undefined;
    const header = Buffer.alloc(withLevel ? 20 : 12);
    header[0] = withLevel ? 0x90 : 0x80;
    if (withLevel) {
      header.writeUInt16BE(0xbede, 12);
      header.writeUInt16BE(1, 14);
      header[16] = 0x10; // id 1, one byte
      header[17] = 0x80 | (packet.audioLevel! & 0x7f); // voice activity + level
    }
    header[1] = packet.payloadType & 0x7f;
    const sequence = this.#sequences.get(packet.ssrc) ?? 0;
    this.#sequences.set(packet.ssrc, sequence + 1);
    header.writeUInt16BE(sequence & 0xffff, 2);
    header.writeUInt32BE(packet.timestamp >>> 0, 4);
    header.writeUInt32BE(packet.ssrc >>> 0, 8);
    this.socket.send(Buffer.concat([header, packet.payload]), to.port, to.ip);
  }

  /**
   * Sends `count` Opus-sized packets (20 ms apart in RTP time) of a silent-looking but
   * valid payload; `intervalMs` apart in wall time.
   */
  async sendAudio(to: { ip: string; port: number }, ssrc: number, count: number, intervalMs = 5, audioLevel = 20): Promise<void> {
    for (let i = 0; i < count; i++) {
      // 0xf8 0xff 0xfe: an Opus CELT frame of silence (TOC 0xf8, 20 ms, mono).
      this.send(to, { ssrc, payloadType: 100, timestamp: this.#audioTimestamp, payload: Uint8Array.of(0xf8, 0xff, 0xfe), audioLevel });
      this.#audioTimestamp += 960;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /**
   * Sends one VP8 frame in one packet (payload descriptor with the start bit, frame
   * tag with the key-frame bit), payload type 101.
   */
  sendVp8Frame(to: { ip: string; port: number }, ssrc: number, timestamp: number, keyFrame: boolean): void {
    const payload = new Uint8Array(200).fill(0x33);
    payload[0] = 0x10;
    payload[1] = keyFrame ? 0x10 : 0x11;
    if (keyFrame) payload.set([0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01], 2);
    this.send(to, { ssrc, payloadType: 101, timestamp, payload });
  }

  /**
   * Sends an RTCP sender report (RFC 3550 §6.4.1) for `ssrc`: wall clock now as NTP time
   * against `rtpTimestamp`. mediasoup needs them to line simulcast layers up in time
   * before it switches a consumer between them.
   */
  sendSenderReport(to: { ip: string; port: number }, ssrc: number, rtpTimestamp: number): void {
    const sr = Buffer.alloc(28);
    sr[0] = 0x80;
    sr[1] = 200;
    sr.writeUInt16BE(6, 2);
    sr.writeUInt32BE(ssrc >>> 0, 4);
    const ms = Date.now() + 2_208_988_800_000; // NTP epoch is 1900
    sr.writeUInt32BE(Math.floor(ms / 1000) >>> 0, 8);
    sr.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32) >>> 0, 12);
    sr.writeUInt32BE(rtpTimestamp >>> 0, 16);
    this.socket.send(sr, to.port, to.ip);
  }

  close(): void {
    this.socket.close();
  }
}

/** The RTP sockets a suite opens, closed together at its end. */
export function rtpSocketPool(): { open(): Promise<RtpSocket>; closeAll(): void } {
  const sockets: RtpSocket[] = [];
  return {
    async open() {
      const socket = await RtpSocket.open();
      sockets.push(socket);
      return socket;
    },
    closeAll() {
      for (const socket of sockets.splice(0)) socket.close();
    },
  };
}

/** Creates a plain send transport through signaling and produces on it. */
export async function producePlain(
  client: TestClient,
  options: { source: 'mic' | 'camera' | 'screen'; ssrc: number },
): Promise<{ transportId: string; producerId: string; ip: string; port: number }> {
  const created = await client.request('sfu.createTransport', { direction: 'send', type: 'plain', comedia: true });
  if (!created.ok) throw new Error(`createTransport failed: ${JSON.stringify(created)}`);
  const transport = sfuResponseSchemas['sfu.createTransport'].parse(created.data);
  if (transport.type !== 'plain') throw new Error('expected a plain transport');
  const kind = options.source === 'mic' ? 'audio' : 'video';
  const rtpParameters = kind === 'audio' ? opusParameters(options.ssrc) : vp8Parameters(options.ssrc);
  const produced = await client.request('sfu.produce', { transportId: transport.transportId, kind, rtpParameters, source: options.source });
  if (!produced.ok) throw new Error(`produce failed: ${JSON.stringify(produced)}`);
  const { producerId } = sfuResponseSchemas['sfu.produce'].parse(produced.data);
  return { transportId: transport.transportId, producerId, ip: transport.ip, port: transport.port };
}

/**
 * Creates a plain receiving transport through signaling that sends to `socket`
 * (comedia off, so the node sends from the start), with the router's capabilities as
 * the device's.
 */
export async function receivePlain(client: TestClient, socket: RtpSocket): Promise<{ transportId: string }> {
  const caps = await client.request('sfu.getRouterRtpCapabilities');
  if (!caps.ok) throw new Error(`getRouterRtpCapabilities failed: ${JSON.stringify(caps)}`);
  const { rtpCapabilities } = sfuResponseSchemas['sfu.getRouterRtpCapabilities'].parse(caps.data);
  const created = await client.request('sfu.createTransport', { direction: 'recv', type: 'plain', comedia: false, rtpCapabilities });
  if (!created.ok) throw new Error(`createTransport failed: ${JSON.stringify(created)}`);
  const transport = sfuResponseSchemas['sfu.createTransport'].parse(created.data);
  const connected = await client.request('sfu.connectTransport', { transportId: transport.transportId, ip: '127.0.0.1', port: socket.port });
  if (!connected.ok) throw new Error(`connectTransport failed: ${JSON.stringify(connected)}`);
  return { transportId: transport.transportId };
}

/** Resumes every consumer announced to the client so far (they start paused). */
export async function resumeAll(client: TestClient): Promise<string[]> {
  const ids = client.notifications('sfu.newConsumer').map((n) => n.data.consumerId as string);
  for (const consumerId of ids) {
    const resumed = await client.request('sfu.resumeConsumer', { consumerId });
    if (!resumed.ok) throw new Error(`resumeConsumer failed: ${JSON.stringify(resumed)}`);
  }
  return ids;
}

/** Keeps sending audio until `socket` has received at least `packets` packets (or time runs out). */
export async function audioFlows(from: RtpSocket, to: { ip: string; port: number }, ssrc: number, socket: RtpSocket, packets = 20): Promise<void> {
  const before = socket.total;
  await eventually(
    async () => {
      await from.sendAudio(to, ssrc, 10, 2);
      return socket.total - before >= packets;
    },
    10_000,
    0,
  );
}

/** The SSRC a consumer sends with (from its `sfu.newConsumer` rtpParameters). */
export function consumerSsrc(notification: Record<string, any>): number {
  return notification.data.rtpParameters.encodings[0].ssrc as number;
}

/**
 * The Opus packets of an Ogg/Opus file (RFC 7845), without its two header packets
 * (OpusHead, OpusTags): what a sender puts in RTP payloads, one packet per 20 ms.
 */
export function oggOpusPackets(file: Uint8Array): Uint8Array[] {
  const packets: Uint8Array[] = [];
  let pending: Uint8Array[] = [];
  let offset = 0;
  while (offset + 27 <= file.length) {
    if (file[offset] !== 0x4f || file[offset + 1] !== 0x67 || file[offset + 2] !== 0x67 || file[offset + 3] !== 0x53) {
      throw new Error(`no Ogg page at byte ${offset}`);
    }
    const segments = file[offset + 26]!;
    const table = file.subarray(offset + 27, offset + 27 + segments);
    let body = offset + 27 + segments;
    for (const size of table) {
      pending.push(file.subarray(body, body + size));
      body += size;
      if (size < 255) {
        packets.push(Buffer.concat(pending));
        pending = [];
      }
    }
    offset = body;
  }
  return packets.slice(2);
}
