import { SPEECH_DETECTOR_NAME } from './speech-detector.ts';
import type { Processor } from './types.ts';

/**
 * `speech_activity`: speaking segments and talk time of one participant's PCM chunk,
 * found by the Silero VAD (speech-detector.ts, captions/vad.ts) in a worker thread.
 * The payload was validated at decode (base64, ≤ 512 KiB, even length, 16/48 kHz).
 */
export const speechActivityProcessor: Processor<'speech_activity'> = async (task, ctx) => {
  const found = await ctx.cpu.run(
    { kind: 'speech', audioBase64: task.payload.audio, sampleRate: task.payload.sampleRate },
    ctx.signal,
  );
  return {
    userId: task.payload.userId ?? task.userId,
    startedAt: task.payload.startedAt ?? task.enqueuedAt,
    durationMs: found.durationMs,
    talkTimeMs: found.talkTimeMs,
    segments: found.segments,
    detector: SPEECH_DETECTOR_NAME,
  };
};
