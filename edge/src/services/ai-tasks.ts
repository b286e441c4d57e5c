import { aiTaskTypesAfterEnd, encodeTaskEntry, type AiTask, type AiTaskRequest } from '@huddle/protocol';
import type { RequestDeps } from '../env.ts';
import { conflict, forbidden } from '../lib/api-error.ts';
import { requireParticipant } from './join.ts';
import { hitRateLimits } from './rate-limit.ts';

/**
 * `POST /ai/tasks`: a participant of the meeting queues an AI task on the task stream
 * (XADD, never trimmed here: see protocol/src/ai-tasks.ts) and gets its id back.
 *
 * Rules: 404 for meetings the caller is not in, 403 if they declined; a cancelled
 * meeting takes no tasks (409 `meeting_cancelled`); an ended one takes only tasks on
 * history or text (`summary`, `sentiment`), live-audio tasks get 409 `meeting_ended`.
 * A `speech_activity` chunk is the caller's own audio: another `payload.userId` is 403.
 * Each user may queue `aiTasksPerMinute` tasks a minute (429 with Retry-After beyond):
 * a task can carry ~700 KB, so the stream's memory must not be open to one client. The
 * limit is a quota on queued tasks, so it is counted last: a request refused for another
 * reason (403, 404, 409) queues nothing and costs nothing — a client that probes a
 * meeting it left keeps its quota, and the 404 for meetings one is not in stays the
 * same answer whatever the caller's quota (no status tells non-participants anything).
 */
export async function enqueueAiTask(deps: RequestDeps, userId: string, request: AiTaskRequest): Promise<{ taskId: string }> {
  const membership = await requireParticipant(deps.db().db, request.meetingId, userId);
  if (membership.meetingStatus === 'cancelled') {
    throw conflict('meeting_cancelled', 'The meeting has been cancelled.');
  }
  if (membership.meetingStatus === 'ended' && !aiTaskTypesAfterEnd.includes(request.type)) {
    throw conflict('meeting_ended', `The meeting has ended; only ${aiTaskTypesAfterEnd.join(' and ')} tasks are accepted.`);
  }
  if (request.type === 'speech_activity' && request.payload.userId !== undefined && request.payload.userId !== userId) {
    throw forbidden('You can submit only your own audio.');
  }
  await hitRateLimits(deps.redis, [
    { identifier: `ai-tasks:user:${userId}`, limit: deps.config.aiTasksPerMinute, windowSeconds: 60 },
  ]);

  const task: AiTask = {
    ...request,
    taskId: crypto.randomUUID(),
    userId,
    attempt: 1,
    enqueuedAt: new Date().toISOString(),
  };
  await deps.redis.xadd(deps.config.aiTasksStream, '*', encodeTaskEntry(task));
  return { taskId: task.taskId };
}
