// Runs in a worker thread (piscina): the CPU-heavy parts of processors, so the media
// node's event loop (signaling, SFU control) never waits on them.
import { SileroVad } from '../captions/vad.ts';
import { detectSpeech } from './processors/speech-detector.ts';
import { summarise } from './processors/textrank.ts';
import type { CpuJob } from './cpu-pool.ts';

/** The thread's Silero model, loaded on the first speech job. */
let vad: Promise<SileroVad> | undefined;

/** Piscina's entry point: one job in, its plain-data result out. */
export default async function run(job: CpuJob): Promise<unknown> {
  switch (job.kind) {
    case 'speech': {
      const pcm = Buffer.from(job.audioBase64, 'base64');
      vad ??= SileroVad.load();
      return detectSpeech(await vad, pcm, job.sampleRate);
    }
    case 'summary':
      return summarise(job.texts, job.maxSentences);
    default: {
      const never: never = job;
      throw new Error(`unknown cpu job ${JSON.stringify(never)}`);
    }
  }
}
