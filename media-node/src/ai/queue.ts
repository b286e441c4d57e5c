import type { Redis } from 'ioredis';
import { AI_TASK_ENTRY_FIELD, redisKeys } from '@huddle/protocol';
import {
  deadLetterScript,
  handBackScript,
  promoteScript,
  pruneConsumersScript,
  renewScript,
  retryScript,
  runScript,
} from './scripts.ts';

/** Stream entry field holding the attempt history (JSON AttemptRecord[]); absent on first delivery. */
export const AI_TASK_HISTORY_FIELD = 'history';

/** Key names of one queue. */
export interface QueueKeys {
  /** The task stream (default `ai:tasks`). */
  stream: string;
  /** Its consumer group (default `ai-workers`). */
  group: string;
  /** Dead-letter stream (default `ai:tasks:dead`). */
  dead: string;
  /** Delayed retries: a ZSET scored by due time in ms (default `{stream}:delayed`). */
  delayed: string;
}

/** The default keys, with any overrides (a separate queue per environment or test). */
export function queueKeys(overrides: Partial<QueueKeys> = {}): QueueKeys {
  const stream = overrides.stream ?? redisKeys.aiTasks;
  return {
    stream,
    group: overrides.group ?? redisKeys.aiTasksGroup,
    dead: overrides.dead ?? (overrides.stream ? `${stream}:dead` : redisKeys.aiTasksDead),
    delayed: overrides.delayed ?? `${stream}:delayed`,
  };
}

/** One failed attempt, carried with the task from retry to retry and into the dead letters. */
export interface AttemptRecord {
  attempt: number;
  consumer: string;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601. */
  failedAt: string;
  code: string;
  error: string;
}

/** A stream entry as read: its id and its flat field/value list. */
export interface RawEntry {
  id: string;
  fields: string[];
}

/** The value of one field of a flat field/value list. */
export function entryField(fields: readonly string[], name: string): string | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) if (fields[i] === name) return fields[i + 1];
  return undefined;
}

/** Parses the attempt history of an entry (an empty list when absent or unreadable). */
export function entryHistory(fields: readonly string[]): AttemptRecord[] {
  const raw = entryField(fields, AI_TASK_HISTORY_FIELD);
  if (raw === undefined) return [];
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) ? (value as AttemptRecord[]) : [];
  } catch {
    return [];
  }
}

function toEntries(value: unknown): RawEntry[] {
  if (!Array.isArray(value)) return [];
  const out: RawEntry[] = [];
  for (const item of value) {
    // A deleted entry still pending shows as [id, null]: nothing to process.
    if (Array.isArray(item) && typeof item[0] === 'string' && Array.isArray(item[1])) {
      out.push({ id: item[0], fields: (item[1] as unknown[]).map(String) });
    }
  }
  return out;
}

/**
 * The Redis side of the AI queue: reading, acknowledging, retrying, dead-lettering and
 * reclaiming entries of one consumer group. Needs a RESP2 connection (`protocol: 2`).
 */
export class TaskQueue {
  readonly keys: QueueKeys;
  readonly #redis: Redis;

  constructor(redis: Redis, keys: QueueKeys) {
    this.#redis = redis;
    this.keys = keys;
  }

  /** Creates the stream and the group if missing (group starts at 0: nothing already queued is skipped). */
  async ensureGroup(): Promise<void> {
    try {
      await this.#redis.call('XGROUP', 'CREATE', this.keys.stream, this.keys.group, '0', 'MKSTREAM');
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('BUSYGROUP')) throw error;
    }
  }

  /** XREADGROUP of new entries on `conn` (a dedicated connection when blocking). */
  async readNew(conn: Redis, consumer: string, count: number, blockMs: number): Promise<RawEntry[]> {
    const reply = await conn.call(
      'XREADGROUP', 'GROUP', this.keys.group, consumer, 'COUNT', count, 'BLOCK', blockMs,
      'STREAMS', this.keys.stream, '>',
    );
    if (!Array.isArray(reply) || reply.length === 0) return [];
    const first = reply[0] as unknown[];
    return toEntries(first[1]);
  }

  /**
   * XAUTOCLAIM entries idle longer than `minIdleMs` (their consumer died or stalled).
   * Deleted-but-pending ids that XAUTOCLAIM reports are acknowledged away.
   */
  async reclaim(consumer: string, minIdleMs: number, count: number): Promise<RawEntry[]> {
    const reply = (await this.#redis.call(
      'XAUTOCLAIM', this.keys.stream, this.keys.group, consumer, minIdleMs, '0-0', 'COUNT', count,
    )) as unknown[];
    const deleted = Array.isArray(reply[2]) ? (reply[2] as string[]) : [];
    if (deleted.length > 0) await this.#redis.call('XACK', this.keys.stream, this.keys.group, ...deleted);
    return toEntries(reply[1]);
  }

  /** Success: XACK + XDEL (the stream keeps only unprocessed or pending work). */
  async complete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.#redis
      .multi()
      .call('XACK', this.keys.stream, this.keys.group, ...ids)
      .call('XDEL', this.keys.stream, ...ids)
      .exec();
  }

  /** Schedules the next attempt `delayMs` from now; false when the entry is no longer ours. */
  async retry(id: string, consumer: string, delayMs: number, taskJson: string, history: AttemptRecord[]): Promise<boolean> {
    const member = JSON.stringify({ task: taskJson, history: JSON.stringify(history) });
    const moved = await runScript(this.#redis, retryScript, [this.keys.stream, this.keys.delayed], [
      this.keys.group, id, consumer, Math.max(0, Math.round(delayMs)), member,
    ]);
    return moved === 1;
  }

  /** Moves the entry to the dead-letter stream with the given fields; false when no longer ours. */
  async deadLetter(id: string, consumer: string, fields: Record<string, string>): Promise<boolean> {
    const moved = await runScript(this.#redis, deadLetterScript, [this.keys.stream, this.keys.dead], [
      this.keys.group, id, consumer, ...Object.entries(fields).flat(),
    ]);
    return moved === 1;
  }

  /** Re-queues an unfinished entry at the stream's tail for another consumer; false when no longer ours. */
  async handBack(entry: RawEntry, consumer: string): Promise<boolean> {
    const moved = await runScript(this.#redis, handBackScript, [this.keys.stream], [
      this.keys.group, entry.id, consumer, ...entry.fields,
    ]);
    return moved === 1;
  }

  /** Moves due retries into the stream; returns how many. */
  async promoteDue(limit: number): Promise<number> {
    return Number(await runScript(this.#redis, promoteScript, [this.keys.delayed, this.keys.stream], [limit]));
  }

  /** Renews the lease of owned entries; returns the ids another consumer took over. */
  async renew(consumer: string, ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    return (await runScript(this.#redis, renewScript, [this.keys.stream], [this.keys.group, consumer, ...ids])) as string[];
  }

  /** Deletes consumers idle longer than `minIdleMs` that own nothing; returns how many. */
  async pruneConsumers(self: string, minIdleMs: number): Promise<number> {
    return Number(await runScript(this.#redis, pruneConsumersScript, [this.keys.stream], [this.keys.group, minIdleMs, self]));
  }

  /** Waiting (not yet delivered), pending (delivered, not acknowledged) and delayed counts. */
  async depth(): Promise<{ waiting: number; pending: number; delayed: number }> {
    const [groups, delayed] = await Promise.all([
      this.#redis.call('XINFO', 'GROUPS', this.keys.stream).catch(() => []) as Promise<unknown[][]>,
      this.#redis.zcard(this.keys.delayed),
    ]);
    for (const g of groups) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < g.length; i += 2) info.set(String(g[i]), g[i + 1]);
      if (info.get('name') === this.keys.group) {
        return { waiting: Number(info.get('lag') ?? 0), pending: Number(info.get('pending') ?? 0), delayed };
      }
    }
    return { waiting: 0, pending: 0, delayed };
  }
}

export { AI_TASK_ENTRY_FIELD };
