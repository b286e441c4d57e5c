import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Db } from 'mongodb';
import { redisKeys, summaryResultSchema, type AiResultsOf } from '@huddle/protocol';
import { enqueueTask } from '../ai/enqueue.ts';
import { AI_RESULTS_COLLECTION, type AiResultDocument } from '../ai/results-store.ts';

// Summaries on the existing AI queue: a `summary` task (the summary processor reads the
// stored transcript and chat) and a wait for its stored result. Polling the result store
// rather than listening to `ai.result` pub/sub: pub/sub is at most once, the store is the
// source of truth, and a summary is rare.

const POLL_MS = 200;

/** Where summary tasks go and results are read. */
export interface SummaryDeps {
  redis: Redis;
  mongo: Db;
  /** The AI task stream (AI_TASKS_STREAM). */
  stream: string;
}

/** Waits until every task id has a stored result or `timeoutMs` passes; returns the ids still missing. */
export async function waitForResults(mongo: Db, taskIds: readonly string[], timeoutMs: number): Promise<string[]> {
  let missing = [...taskIds];
  const deadline = Date.now() + timeoutMs;
  while (missing.length > 0) {
    const found = await mongo
      .collection<AiResultDocument>(AI_RESULTS_COLLECTION)
      .find({ _id: { $in: missing } }, { projection: { _id: 1 } })
      .toArray();
    const done = new Set(found.map((d) => d._id));
    missing = missing.filter((id) => !done.has(id));
    if (missing.length === 0 || Date.now() >= deadline) break;
    await sleep(POLL_MS);
  }
  return missing;
}

/**
 * Queues a `summary` of the meeting (transcript and chat; the last `sinceMinutes` only when
 * given) for `userId` and waits up to `timeoutMs` for the result. Undefined on time-out
 * (no AI worker took it in time); throws when Redis refuses the task.
 */
export async function requestSummary(
  deps: SummaryDeps,
  request: { meetingId: string; userId: string; sinceMinutes?: number; maxSentences?: number },
  timeoutMs: number,
): Promise<{ taskId: string; results: AiResultsOf<'summary'> } | undefined> {
  const taskId = randomUUID();
  const queued = await enqueueTask(
    deps.redis,
    {
      type: 'summary',
      meetingId: request.meetingId,
      payload: {
        sources: ['chat', 'transcripts'],
        maxSentences: request.maxSentences ?? 5,
        ...(request.sinceMinutes !== undefined ? { sinceMinutes: request.sinceMinutes } : {}),
      },
    },
    { userId: request.userId, taskId, stream: deps.stream },
  );
  if (!queued.ok) throw new Error(`summary task refused: ${queued.error}`);
  if ((await waitForResults(deps.mongo, [taskId], timeoutMs)).length > 0) return undefined;
  const doc = await deps.mongo.collection<AiResultDocument>(AI_RESULTS_COLLECTION).findOne({ _id: taskId });
  const parsed = summaryResultSchema.safeParse(doc?.results);
  return parsed.success ? { taskId, results: parsed.data } : undefined;
}

/**
 * Takes the once-per-meeting right to write the end-of-meeting summary (SET NX with a
 * TTL): when several nodes held the meeting's room, one of them summarises.
 */
export async function claimMeetingSummary(redis: Redis, meetingId: string, nodeId: string): Promise<boolean> {
  return (await redis.set(redisKeys.meetingSummaryLock(meetingId), nodeId, 'EX', 3_600, 'NX')) === 'OK';
}
