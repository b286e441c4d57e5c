import { z } from 'zod';
import { parseJsonWith } from './json.ts';
import { aiTaskTypeValues, utteranceSchema, type AiTaskType } from './ai-tasks.ts';

// AI results: what the AI worker pool stores in MongoDB `ai_results` (one document per
// task_id, upserted: exactly-once results under at-least-once delivery) and publishes on
// the meeting's channel `meeting:{id}:events` as an `ai.result` event, which the
// signaling layer forwards to participants as the `ai.result` notification.
// Times inside results are milliseconds from the start of the audio chunk unless named
// otherwise.

const nonNegativeMs = z.number().nonnegative();

/** One span of speech inside an audio chunk. */
export const speechSegmentSchema = z
  .object({ startMs: nonNegativeMs, endMs: nonNegativeMs })
  .refine((s) => s.endMs > s.startMs, 'endMs must be after startMs');
export type SpeechSegment = z.infer<typeof speechSegmentSchema>;

/** `speech_activity`: when one participant spoke in a chunk of their audio. */
export const speechActivityResultSchema = z.object({
  /** The speaker. */
  userId: z.uuid(),
  /** When the chunk starts (ISO 8601). */
  startedAt: z.iso.datetime({ offset: true }),
  /** Length of the chunk. */
  durationMs: nonNegativeMs,
  /** Sum of the segments' lengths. */
  talkTimeMs: nonNegativeMs,
  segments: z.array(speechSegmentSchema),
  /** How the segments were found (e.g. `silero-vad-v5`), so results stay comparable. */
  detector: z.string().min(1),
});

/** One recognised word with its timing. */
export const transcriptWordSchema = z.object({ word: z.string(), startMs: nonNegativeMs, endMs: nonNegativeMs });

/** `transcribe`: text and word timings from the speech-to-text provider. */
export const transcribeResultSchema = z.object({
  text: z.string(),
  /** Language the provider detected or was told (as it reports it). */
  language: z.string().optional(),
  durationMs: nonNegativeMs.optional(),
  words: z.array(transcriptWordSchema),
  /** The provider's model name. */
  model: z.string(),
  /** Copied from the task: set when the audio was an utterance of the live captions. */
  utterance: utteranceSchema.optional(),
});

/** `sentiment`: AFINN-style score of a text. */
export const sentimentResultSchema = z.object({
  /** Sum of word scores (unbounded; positive is favourable). */
  score: z.number(),
  /** Score per word, roughly −5…5. */
  comparative: z.number(),
  label: z.enum(['positive', 'neutral', 'negative']),
});

/** `summary`: keywords and an extractive summary of a meeting's chat and transcripts. */
export const summaryResultSchema = z.object({
  keywords: z.array(z.object({ term: z.string().min(1), score: z.number().nonnegative() })),
  /** Sentences taken from the sources, in the order they were said. */
  sentences: z.array(z.string()),
  /** How much text went in. */
  sources: z.object({ chatMessages: z.number().int().nonnegative(), transcripts: z.number().int().nonnegative() }),
  /** `textrank-v1` offline, or `provider:<model>`. */
  method: z.string().min(1),
});

/** The `results` schema of each analysis type. */
export const aiResultSchemas = {
  speech_activity: speechActivityResultSchema,
  transcribe: transcribeResultSchema,
  sentiment: sentimentResultSchema,
  summary: summaryResultSchema,
} as const satisfies Record<AiTaskType, z.ZodType>;

/** The results of one analysis type, e.g. `AiResultsOf<'sentiment'>`. */
export type AiResultsOf<T extends AiTaskType> = z.infer<(typeof aiResultSchemas)[T]>;

const isoTime = z.iso.datetime({ offset: true });

const resultEvent = <T extends AiTaskType>(analysisType: T) =>
  z.object({
    type: z.literal('ai.result'),
    meetingId: z.uuid(),
    taskId: z.uuid(),
    /** Who asked for the task. */
    userId: z.uuid(),
    analysisType: z.literal(analysisType),
    /** When the result was stored (ISO 8601). */
    at: isoTime,
    results: aiResultSchemas[analysisType] as (typeof aiResultSchemas)[T],
  });

/**
 * `ai.result`: published (JSON) on `meeting:{id}:events` once a result is stored.
 * Pub/sub is at most once; the stored history (`GET …/insights`) is the source of truth.
 */
export const aiResultPublicationSchema = z.discriminatedUnion('analysisType', [
  resultEvent('speech_activity'),
  resultEvent('transcribe'),
  resultEvent('sentiment'),
  resultEvent('summary'),
]);
export type AiResultPublication = z.infer<typeof aiResultPublicationSchema>;

/** Parses a pub/sub message; undefined when it is not an `ai.result` event. */
export function parseAiResultPublication(message: string): AiResultPublication | undefined {
  return parseJsonWith(aiResultPublicationSchema, message);
}

/** One stored result as the history API returns it (newest first). */
export interface AiInsight {
  taskId: string;
  meetingId: string;
  userId: string;
  analysisType: AiTaskType;
  /** When the result was stored (ISO 8601). */
  timestamp: string;
  results: unknown;
}

/** Analysis types, for validating `?type=` filters. */
export const aiAnalysisTypeSchema = z.enum(aiTaskTypeValues);
