import type { Db, Document } from 'mongodb';
import {
  speechActivityResultSchema,
  transcribeResultSchema,
  type AiTask,
  type Caption,
  type TalkTimeEntry,
} from '@huddle/protocol';
import { AI_RESULTS_COLLECTION, storeResult, type AiResultDocument } from '../ai/results-store.ts';

// The transcript and talk time of a meeting as MongoDB `ai_results` holds them: each
// caption is the stored result of its `transcribe` task (with the utterance copied in),
// each utterance's talk time a `speech_activity` result written by the captions pipeline.

/** A stored transcribe result → the caption clients see; undefined when it is not a caption. */
export function captionFromResult(doc: Pick<AiResultDocument, 'task_id' | 'meeting_id' | 'user_id' | 'results'>): Caption | undefined {
  const parsed = transcribeResultSchema.safeParse(doc.results);
  if (!parsed.success || !parsed.data.utterance || parsed.data.text.trim() === '') return undefined;
  const u = parsed.data.utterance;
  return {
    id: doc.task_id,
    meetingId: doc.meeting_id,
    userId: doc.user_id,
    name: u.name,
    text: parsed.data.text.trim(),
    startedAt: u.startedAt,
    endedAt: u.endedAt,
    startMs: u.startMs,
    endMs: u.endMs,
  };
}

/** A position in a transcript: after the caption that started at `startMs` with this id. */
export interface TranscriptCursor {
  startMs: number;
  id: string;
}

/**
 * A meeting's captions in the order they were spoken (meeting time, then id), at most
 * `limit`, after `after`. Empty transcriptions (noise) are left out.
 */
export async function listTranscript(
  db: Db,
  meetingId: string,
  options: { after?: TranscriptCursor; limit: number },
): Promise<{ items: Caption[]; next: TranscriptCursor | undefined }> {
  const filter: Document = { meeting_id: meetingId, analysis_type: 'transcribe', 'results.utterance.startMs': { $gte: 0 } };
  if (options.after) {
    filter.$or = [
      { 'results.utterance.startMs': { $gt: options.after.startMs } },
      { 'results.utterance.startMs': options.after.startMs, _id: { $gt: options.after.id } },
    ];
  }
  const limit = Math.min(200, Math.max(1, Math.floor(options.limit)));
  const docs = await db
    .collection<AiResultDocument>(AI_RESULTS_COLLECTION)
    .find(filter)
    .sort({ 'results.utterance.startMs': 1, _id: 1 })
    .limit(limit)
    .toArray();
  const items = docs.map(captionFromResult).filter((c): c is Caption => c !== undefined);
  const last = docs.at(-1);
  const lastStart = (last?.results as { utterance?: { startMs?: number } } | undefined)?.utterance?.startMs;
  const next = docs.length === limit && last && lastStart !== undefined ? { startMs: lastStart, id: last._id } : undefined;
  return { items, next };
}

/**
 * Stores one utterance's talk time as a `speech_activity` result (detector: the VAD), once
 * per `id`. `startedAt` is the speech's wall-clock start.
 */
export async function storeTalkTime(
  db: Db,
  record: { id: string; meetingId: string; userId: string; startedAt: string; speechMs: number; detector: string },
): Promise<void> {
  const results = speechActivityResultSchema.parse({
    userId: record.userId,
    startedAt: record.startedAt,
    durationMs: record.speechMs,
    talkTimeMs: record.speechMs,
    segments: record.speechMs > 0 ? [{ startMs: 0, endMs: record.speechMs }] : [],
    detector: record.detector,
  });
  const task: Pick<AiTask, 'taskId' | 'meetingId' | 'userId' | 'type'> = {
    taskId: record.id,
    meetingId: record.meetingId,
    userId: record.userId,
    type: 'speech_activity',
  };
  await storeResult(db, task, results, new Date());
}

/** Talk time per speaker over every stored `speech_activity` result of the meeting (ms), most first. */
export async function talkTimeTotals(db: Db, meetingId: string): Promise<Map<string, number>> {
  const docs = await db
    .collection<AiResultDocument>(AI_RESULTS_COLLECTION)
    .find({ meeting_id: meetingId, analysis_type: 'speech_activity' }, { projection: { results: 1 } })
    .toArray();
  const totals = new Map<string, number>();
  for (const d of docs) {
    const r = d.results as { userId?: unknown; talkTimeMs?: unknown };
    if (typeof r.userId === 'string' && typeof r.talkTimeMs === 'number') totals.set(r.userId, (totals.get(r.userId) ?? 0) + r.talkTimeMs);
  }
  return totals;
}

/** Totals with names, most talk time first (ms rounded). */
export function talkTimeTable(totals: ReadonlyMap<string, number>, names: ReadonlyMap<string, string>): TalkTimeEntry[] {
  return [...totals]
    .map(([userId, ms]) => ({ userId, name: names.get(userId) ?? 'Participant', talkTimeMs: Math.round(ms) }))
    .sort((a, b) => b.talkTimeMs - a.talkTimeMs || a.userId.localeCompare(b.userId));
}
