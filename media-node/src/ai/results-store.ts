import type { Db, Document } from 'mongodb';
import { aiResultSchemas, type AiInsight, type AiTask, type AiTaskType } from '@huddle/protocol';
import { UnrecoverableError } from './errors.ts';

/** Name of the MongoDB collection of AI results. */
export const AI_RESULTS_COLLECTION = 'ai_results';

/**
 * One stored result (snake_case, as in ARCHITECTURE.md). `_id` is the task id as well, so
 * both unique keys (`_id`, `task_id`) reject a second document for the same task.
 */
export interface AiResultDocument {
  _id: string;
  meeting_id: string;
  user_id: string;
  analysis_type: AiTaskType;
  task_id: string;
  timestamp: Date;
  results: unknown;
}

/** Creates the indexes the pool and the history reads rely on (idempotent; run at start-up). */
export async function ensureResultIndexes(db: Db): Promise<void> {
  const results = db.collection<AiResultDocument>(AI_RESULTS_COLLECTION);
  await results.createIndex({ task_id: 1 }, { unique: true, name: 'task_id_unique' });
  await results.createIndex({ meeting_id: 1, analysis_type: 1, timestamp: -1 }, { name: 'meeting_type_time' });
}

/** Validates a processor's output against its type's schema; a mismatch is a bug, never retried. */
export function validateResults(type: AiTaskType, results: unknown): unknown {
  const parsed = aiResultSchemas[type].safeParse(results);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new UnrecoverableError('invalid_result', `processor output does not match ${type} results: ${issues.join('; ')}`);
  }
  return parsed.data;
}

/**
 * Stores a task's result once (exactly-once results under at-least-once delivery):
 * insert-if-absent keyed by the task id. A redelivered task's insert hits the unique key
 * (E11000) and changes nothing — the same outcome as an upsert with `$setOnInsert`, which
 * we used first: on FerretDB v1 (SQLite) an upsert scans the collection (measured: 200/s
 * falling to 6/s as it grows) while an insert stays ~570/s; on MongoDB both are indexed.
 * Returns true when this call stored it, false when it was already there.
 */
export async function storeResult(
  db: Db,
  task: Pick<AiTask, 'taskId' | 'meetingId' | 'userId' | 'type'>,
  results: unknown,
  at: Date,
): Promise<boolean> {
  const doc: AiResultDocument = {
    _id: task.taskId,
    meeting_id: task.meetingId,
    user_id: task.userId,
    analysis_type: task.type,
    task_id: task.taskId,
    timestamp: at,
    results,
  };
  try {
    await db.collection<AiResultDocument>(AI_RESULTS_COLLECTION).insertOne(doc);
    return true;
  } catch (error) {
    if ((error as { code?: unknown }).code === 11000) return false;
    throw error;
  }
}

/** Options of a history read. */
export interface ListInsightsOptions {
  /** Only results of this analysis type. */
  type?: AiTaskType;
  /** Page size (1…200). */
  limit: number;
  /** Only results stored strictly before this time (the previous page's last timestamp). */
  before?: Date;
}

/** A meeting's stored AI results, newest first. */
export async function listInsights(db: Db, meetingId: string, options: ListInsightsOptions): Promise<AiInsight[]> {
  const filter: Document = { meeting_id: meetingId };
  if (options.type) filter.analysis_type = options.type;
  if (options.before) filter.timestamp = { $lt: options.before };
  const limit = Math.min(200, Math.max(1, Math.floor(options.limit)));
  const docs = await db
    .collection<AiResultDocument>(AI_RESULTS_COLLECTION)
    .find(filter)
    .sort({ timestamp: -1, task_id: -1 })
    .limit(limit)
    .toArray();
  return docs.map((d) => ({
    taskId: d.task_id,
    meetingId: d.meeting_id,
    userId: d.user_id,
    analysisType: d.analysis_type,
    timestamp: d.timestamp.toISOString(),
    results: d.results,
  }));
}
