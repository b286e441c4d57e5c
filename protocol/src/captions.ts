import { z } from 'zod';

// Captions, talk time and "what did I miss" on the signaling socket (issue 10). The
// media node cuts each speaker's microphone audio into utterances, transcribes them on
// the AI pool and pushes the text to the room; talk time per speaker is kept live.

const id = z.union([z.string().max(64), z.number()]);
const isoTime = z.iso.datetime({ offset: true });

/** `ai.summarize`: a summary of the last `sinceMinutes` of transcript and chat. */
export const captionRequestSchemas = [
  z.object({
    id,
    method: z.literal('ai.summarize'),
    data: z.object({ sinceMinutes: z.number().int().min(1).max(24 * 60) }),
  }),
] as const;

/**
 * The captions part of a meeting's settings (`settings.captions`): true or absent = on,
 * false = off (no audio leaves the SFU for captions). Host-only, like every setting.
 */
export const captionsSettingSchema = z.boolean();

/** Whether a meeting's stored settings allow captions (default on; only `captions: false` turns them off). */
export function captionsEnabled(settings: unknown): boolean {
  return !(typeof settings === 'object' && settings !== null && (settings as { captions?: unknown }).captions === false);
}

/** One caption: what a speaker said in one utterance. */
export const captionSchema = z.object({
  /** Stable id (the transcribe task's id): a caption delivered twice has the same id. */
  id: z.string().min(1).max(128),
  meetingId: z.uuid(),
  userId: z.uuid(),
  /** The speaker's display name. */
  name: z.string(),
  text: z.string(),
  /** When the utterance started and ended (wall clock). */
  startedAt: isoTime,
  endedAt: isoTime,
  /** The same in meeting time: ms since the meeting started. */
  startMs: z.number().int().nonnegative(),
  endMs: z.number().int().nonnegative(),
});
export type Caption = z.infer<typeof captionSchema>;

/** The `ai.summarize` response: keywords and sentences of the last `sinceMinutes`. */
export const summarizeResponseSchema = z.object({
  taskId: z.string(),
  sinceMinutes: z.number().int(),
  keywords: z.array(z.object({ term: z.string(), score: z.number() })),
  sentences: z.array(z.string()),
  sources: z.object({ chatMessages: z.number().int().nonnegative(), transcripts: z.number().int().nonnegative() }),
});
export type SummarizeResponse = z.infer<typeof summarizeResponseSchema>;

/** Talk time of one participant so far in the meeting. */
export const talkTimeEntrySchema = z.object({ userId: z.uuid(), name: z.string(), talkTimeMs: z.number().nonnegative() });
export type TalkTimeEntry = z.infer<typeof talkTimeEntrySchema>;

/** Caption notifications (server → client). */
export const captionNotificationSchemas = [
  z.object({ method: z.literal('caption.new'), data: z.object({ caption: captionSchema }) }),
  /** Talk time per participant, sent at most every few seconds while someone speaks. */
  z.object({ method: z.literal('talktime.updated'), data: z.object({ totals: z.array(talkTimeEntrySchema).max(1_000) }) }),
  /** Captions were switched on or off for the meeting (by the host's settings). */
  z.object({ method: z.literal('captions.state'), data: z.object({ enabled: z.boolean() }) }),
] as const;
