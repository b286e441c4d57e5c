import type { Logger } from 'pino';
import type { types } from 'mediasoup';
import { OpusDecoder } from 'opus-decoder';
import type { AudioTapSink } from '../engine.ts';
import { errorMessage } from '../../signaling/types.ts';
import { parseRtpPacket } from './rtp.ts';

/** The tap's output rate (what the captions pipeline takes), Hz. */
export const TAP_SAMPLE_RATE = 16_000;

interface TappedMicrophone {
  userId: string;
  consumer: types.Consumer;
  decoder: OpusDecoder<typeof TAP_SAMPLE_RATE>;
}

/**
 * Decoded microphones of one meeting for captions: every microphone producer is
 * consumed on one DirectTransport of the meeting's main router (the RTP stays inside
 * the node), each packet's Opus payload is decoded (opus-decoder, libopus in
 * WebAssembly) straight to 16 kHz mono and handed to the sink as signed 16-bit PCM.
 * `close()` closes the transport and its consumers, so no audio leaves the SFU after
 * it; idempotent.
 */
export class AudioTap {
  readonly #transport: types.DirectTransport;
  readonly #router: types.Router;
  readonly #sink: AudioTapSink;
  readonly #log: Logger;
  readonly #tapped = new Map<string, TappedMicrophone>();
  #closed = false;

  private constructor(transport: types.DirectTransport, router: types.Router, sink: AudioTapSink, log: Logger) {
    this.#transport = transport;
    this.#router = router;
    this.#sink = sink;
    this.#log = log;
  }

  /** Opens the tap's DirectTransport on `router` (the meeting's main router). */
  static async create(router: types.Router, sink: AudioTapSink, log: Logger): Promise<AudioTap> {
    const transport = await router.createDirectTransport();
    const tap = new AudioTap(transport, router, sink, log);
    transport.observer.once('close', () => tap.close());
    return tap;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Starts decoding a microphone producer (already on the tap's router). A second call
   * for the same producer is a no-op.
   */
  async add(producerId: string, userId: string): Promise<void> {
    if (this.#closed || this.#tapped.has(producerId)) return;
    const decoder = new OpusDecoder({ sampleRate: TAP_SAMPLE_RATE, channels: 1 });
    await decoder.ready;
    let consumer: types.Consumer;
    try {
      consumer = await this.#transport.consume({ producerId, rtpCapabilities: this.#router.rtpCapabilities });
    } catch (error) {
      decoder.free();
      throw error;
    }
    if (this.#closed || this.#tapped.has(producerId)) {
      consumer.close();
      decoder.free();
      return;
    }
    const tapped: TappedMicrophone = { userId, consumer, decoder };
    this.#tapped.set(producerId, tapped);
    consumer.on('rtp', (packet) => this.#onRtp(tapped, packet));
    consumer.observer.once('close', () => this.#remove(producerId));
  }

  #onRtp(tapped: TappedMicrophone, packet: Buffer): void {
    const atMs = Date.now();
    const rtp = parseRtpPacket(packet);
    if (!rtp || rtp.payload.length === 0) return;
    try {
      const decoded = tapped.decoder.decodeFrame(rtp.payload);
      const samples = decoded.channelData[0];
      if (!samples || decoded.samplesDecoded === 0) return;
      this.#sink.onAudio(tapped.userId, toInt16(samples, decoded.samplesDecoded), atMs);
    } catch (error) {
      this.#log.debug({ userId: tapped.userId, err: errorMessage(error) }, 'opus frame not decoded');
    }
  }

  #remove(producerId: string): void {
    const tapped = this.#tapped.get(producerId);
    if (!tapped) return;
    this.#tapped.delete(producerId);
    tapped.decoder.free();
    this.#sink.onSpeakerGone(tapped.userId);
  }

  /** Closes the DirectTransport (and every tap consumer); idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const { consumer } of [...this.#tapped.values()]) consumer.close();
    this.#transport.close();
  }
}

/** Float samples (−1 … 1) to signed 16-bit PCM, clipped. */
export function toInt16(samples: Float32Array, length = samples.length): Int16Array {
  const pcm = new Int16Array(length);
  for (let i = 0; i < length; i++) {
    const s = Math.max(-1, Math.min(1, samples[i]!));
    pcm[i] = s < 0 ? s * 0x8000 : s * 0x7fff;
  }
  return pcm;
}
