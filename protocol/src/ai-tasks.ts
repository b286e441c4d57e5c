import { z } from 'zod';
import { text } from './text.ts';

// AI tasks: what producers (the edge over Upstash REST, the media node over TCP) XADD to
// the `ai:tasks` stream and what the AI worker pool reads with XREADGROUP.
//
// A stream entry has one field, `task`, whose value is the JSON of an AiTask
// (encodeTaskEntry / decodeTaskEntry). Producers never trim the stream (XADD without
// MAXLEN): trimming by length would also drop entries the pool has not processed yet.
// The pool owns trimming (e.g. XTRIM MINID below the oldest pending id of its group).
//
// The stream name is `ai:tasks` (redisKeys.aiTasks) unless AI_TASKS_STREAM says otherwise
// (a separate stream per environment or test run); producers and pool must agree.

export const aiTaskTypeValues = ['speech_activity', 'transcribe', 'sentiment', 'summary'] as const;
export type AiTaskType = (typeof aiTaskTypeValues)[number];

export const AI_TASK_LIMITS = {
  /** Decoded audio per task, in bytes (512 KiB ≈ 16 s of 16 kHz 16-bit mono PCM). */
  audioBytesMax: 512 * 1024,
  /** Characters of text for `sentiment`. */
  textCharsMax: 10_000,
  /** Sentences a `summary` may ask for. */
  summarySentencesMax: 20,
} as const;

/** Sample rates accepted for raw PCM, in Hz. */
export const pcmSampleRateValues = [16_000, 48_000] as const;

/** Container/codec types `transcribe` accepts; `audio/pcm` is raw 16-bit little-endian mono. */
export const transcribeMimeTypeValues = ['audio/wav', 'audio/webm', 'audio/ogg', 'audio/mpeg', 'audio/pcm'] as const;

/** Sources a `summary` reads from the meeting's history. */
export const summarySourceValues = ['chat', 'transcripts'] as const;

/** Task types that still make sense after a meeting ended (they read history or text, not live audio). */
export const aiTaskTypesAfterEnd: readonly AiTaskType[] = ['summary', 'sentiment'];

/** A UUID in its canonical lower-case form (ids key rooms, streams and results). */
const uuid = z.uuid().transform((id) => id.toLowerCase());

/** Bytes that a padded base64 string decodes to. */
export function base64DecodedBytes(base64: string): number {
  const padding = base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0;
  return Math.floor(base64.length / 4) * 3 - padding;
}

// Padded base64 (RFC 4648 §4) as patterns the OpenAPI document carries unchanged: an
// oversize string is refused by its length before the pattern scans it.
const B64 = '[A-Za-z0-9+/]';
/** Any padded base64 text. */
const BASE64_PATTERN = new RegExp(`^(?:${B64}{4})*(?:${B64}{2}==|${B64}{3}=)?$`);
/**
 * Padded base64 of an even number of bytes (16-bit PCM): 3 bytes per 4 characters, so
 * an even count of whole groups, then either nothing, `xxx=` (2 bytes) or one group and
 * `xx==` (3 + 1 bytes).
 */
const EVEN_BYTES_BASE64_PATTERN = new RegExp(`^(?:${B64}{8})*(?:${B64}{3}=|${B64}{6}==)?$`);
const maxAudioChars = Math.ceil(AI_TASK_LIMITS.audioBytesMax / 3) * 4;
const audioSchema = (pattern: RegExp, message: string) =>
  z
    .string()
    .min(4, 'audio must not be empty')
    .max(maxAudioChars, `audio must decode to at most ${AI_TASK_LIMITS.audioBytesMax} bytes`)
    .regex(pattern, message);

const pcmSampleRateSchema = z.union(pcmSampleRateValues.map((rate) => z.literal(rate)));

/** `speech_activity`: who speaks when in a chunk of one participant's audio. */
export const speechActivityPayloadSchema = z.object({
  /** Base64 of 16-bit little-endian mono PCM (an even number of bytes). */
  audio: audioSchema(EVEN_BYTES_BASE64_PATTERN, 'audio must be padded base64 of 16-bit PCM (an even number of bytes)'),
  /** Hz. */
  sampleRate: pcmSampleRateSchema,
  /** The speaker; defaults to the producer's user. */
  userId: uuid.optional(),
  /** When the chunk starts (ISO 8601); defaults to when the task was enqueued. */
  startedAt: z.iso.datetime({ offset: true }).optional(),
});

/**
 * Where a `transcribe` task's audio came from when it is one utterance of a meeting's
 * live captions (the media node's captions pipeline sets it; the task's userId is the
 * speaker). The processor copies it into the result, so a stored transcript is a caption.
 */
export const utteranceSchema = z.object({
  /** The speaker's display name when they spoke. */
  name: z.string().max(200),
  /** Wall-clock start and end of the speech (ISO 8601). */
  startedAt: z.iso.datetime({ offset: true }),
  endedAt: z.iso.datetime({ offset: true }),
  /** The same in meeting time: ms since the meeting started. */
  startMs: z.number().int().nonnegative(),
  endMs: z.number().int().nonnegative(),
});
export type Utterance = z.infer<typeof utteranceSchema>;

/** `transcribe`: speech to text through the configured OpenAI-compatible provider. */
export const transcribePayloadSchema = z
  .object({
    audio: audioSchema(BASE64_PATTERN, 'audio must be padded base64'),
    mimeType: z.enum(transcribeMimeTypeValues),
    /** Hz; required for `audio/pcm`. */
    sampleRate: pcmSampleRateSchema.optional(),
    /** ISO 639-1 language hint, e.g. `en`. */
    language: z.string().regex(/^[a-z]{2}$/, 'must be an ISO 639-1 code such as "en"').optional(),
    /** Set by the captions pipeline: this audio is one utterance of the meeting. */
    utterance: utteranceSchema.optional(),
  })
  .refine((p) => p.mimeType !== 'audio/pcm' || p.sampleRate !== undefined, {
    message: 'sampleRate is required for audio/pcm',
    path: ['sampleRate'],
  })
  // The same rule for JSON Schema (OpenAPI) readers.
  .meta({
    if: { properties: { mimeType: { const: 'audio/pcm' } }, required: ['mimeType'] },
    // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, never awaited.
    then: { required: ['sampleRate'] },
  });

/** `sentiment`: the tone of a piece of text (offline model). */
export const sentimentPayloadSchema = z.object({
  text: text({ min: 1, max: AI_TASK_LIMITS.textCharsMax, trim: true }),
});

/** `summary`: keywords and an extractive summary of the meeting's history. */
export const summaryPayloadSchema = z.object({
  /** What to summarise; both when omitted. */
  sources: z
    .array(z.enum(summarySourceValues))
    .min(1)
    .max(summarySourceValues.length)
    .refine((s) => new Set(s).size === s.length, 'sources must not repeat')
    .meta({ uniqueItems: true })
    .optional(),
  /** Length of the extractive summary, in sentences. */
  maxSentences: z.number().int().min(1).max(AI_TASK_LIMITS.summarySentencesMax).optional(),
  /** Only what was said or written in the last N minutes ("what did I miss"); all when omitted. */
  sinceMinutes: z.number().int().min(1).max(24 * 60).optional(),
});

const meetingId = uuid;
const speechActivityTask = z.object({ type: z.literal('speech_activity'), meetingId, payload: speechActivityPayloadSchema });
const transcribeTask = z.object({ type: z.literal('transcribe'), meetingId, payload: transcribePayloadSchema });
const sentimentTask = z.object({ type: z.literal('sentiment'), meetingId, payload: sentimentPayloadSchema });
const summaryTask = z.object({ type: z.literal('summary'), meetingId, payload: summaryPayloadSchema.default({}) });

/** Body of `POST /api/v1/ai/tasks`: a union on `type`. */
export const aiTaskRequestSchema = z.discriminatedUnion('type', [
  speechActivityTask,
  transcribeTask,
  sentimentTask,
  summaryTask,
]);
export type AiTaskRequest = z.infer<typeof aiTaskRequestSchema>;

const taskMeta = {
  /** Unique per task; results are upserted by it (exactly-once results). */
  taskId: uuid,
  /** Who asked for the task (the producer's authenticated user). */
  userId: uuid,
  /** 1 on the first delivery; a re-enqueued retry carries the next number. */
  attempt: z.number().int().min(1),
  /** ISO 8601. */
  enqueuedAt: z.iso.datetime({ offset: true }),
};

/** One AI task as carried by the stream: the request plus who, when and which attempt. */
export const aiTaskSchema = z.discriminatedUnion('type', [
  speechActivityTask.extend(taskMeta),
  transcribeTask.extend(taskMeta),
  sentimentTask.extend(taskMeta),
  summaryTask.extend(taskMeta),
]);
export type AiTask = z.infer<typeof aiTaskSchema>;

/** Name of the stream-entry field that holds the task JSON. */
export const AI_TASK_ENTRY_FIELD = 'task';

/** The field/value pairs to XADD for a task. */
export function encodeTaskEntry(task: AiTask): Record<string, string> {
  return { [AI_TASK_ENTRY_FIELD]: JSON.stringify(task) };
}

/** Outcome of decoding a stream entry: a poison entry is a value, not an exception. */
export type DecodedTaskEntry = { ok: true; task: AiTask } | { ok: false; error: string };

/**
 * Decodes a stream entry's fields, as a client returns them: a flat
 * `[field, value, ...]` array (ioredis) or an object (node-redis, @upstash/redis,
 * which may already have parsed the JSON). Never throws.
 */
export function decodeTaskEntry(fields: readonly unknown[] | Record<string, unknown>): DecodedTaskEntry {
  let raw: unknown;
  if (Array.isArray(fields)) {
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (String(fields[i]) === AI_TASK_ENTRY_FIELD) raw = fields[i + 1];
    }
  } else {
    raw = (fields as Record<string, unknown>)[AI_TASK_ENTRY_FIELD];
  }
  if (raw === undefined) return { ok: false, error: `entry has no "${AI_TASK_ENTRY_FIELD}" field` };
  let data = raw;
  if (typeof raw === 'string' || raw instanceof Uint8Array) {
    try {
      data = JSON.parse(typeof raw === 'string' ? raw : new TextDecoder().decode(raw));
    } catch {
      return { ok: false, error: 'task is not JSON' };
    }
  }
  const parsed = aiTaskSchema.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return { ok: false, error: `invalid task: ${issues.join('; ')}` };
  }
  return { ok: true, task: parsed.data };
}
