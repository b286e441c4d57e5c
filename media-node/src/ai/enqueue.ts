import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { aiTaskRequestSchema, encodeTaskEntry, redisKeys, type AiTask, type AiTaskRequest } from '@huddle/protocol';

/** Outcome of an enqueue: bad input is a value (rejected at enqueue), not an exception. */
export type EnqueueResult =
  | { ok: true; taskId: string; entryId: string }
  | { ok: false; code: 'invalid_task'; error: string };

/**
 * Queues an AI task over TCP (ioredis): the same entry the edge writes through Upstash
 * REST (`encodeTaskEntry`, XADD without MAXLEN — see protocol/src/ai-tasks.ts).
 * The request is validated first, so a task that can never succeed is refused here.
 */
export async function enqueueTask(
  redis: Redis,
  request: AiTaskRequest,
  meta: { userId: string; taskId?: string; stream?: string },
): Promise<EnqueueResult> {
  const parsed = aiTaskRequestSchema.safeParse(request);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    return { ok: false, code: 'invalid_task', error: issues.join('; ') };
  }
  const task: AiTask = {
    ...parsed.data,
    taskId: meta.taskId ?? randomUUID(),
    userId: meta.userId,
    attempt: 1,
    enqueuedAt: new Date().toISOString(),
  };
  const entryId = await redis.xadd(meta.stream ?? redisKeys.aiTasks, '*', ...Object.entries(encodeTaskEntry(task)).flat());
  return { ok: true, taskId: task.taskId, entryId: String(entryId) };
}
