import type { Redis } from 'ioredis';
import { participantSchema, redisKeys, type Participant } from '@huddle/protocol';

/** How long a roster outlives its last write (a crashed node's entries cannot linger forever), in seconds. */
export const ROSTER_TTL_SECONDS = 24 * 3_600;

// Deletes the field only while it still belongs to this connection: a newer connection of the
// same user (possibly on another node) must not lose its entry to an older one leaving.
const REMOVE_IF_OWNED = `
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
local ok, entry = pcall(cjson.decode, raw)
if ok and entry.connectionId == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0
`;

/** One user's roster entry: the connection that owns it (signaling peer id, or `livekit:<sid>`) and the participant. */
export interface RosterEntry {
  connectionId: string;
  participant: Participant;
}

/**
 * The meeting's roster across nodes: a Redis hash `meeting:{id}:roster`, field = user id,
 * value = `{ connectionId, participant }`. Each node writes its own participants.
 */
export class Roster {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  /** Adds or replaces the user's entry. */
  async put(meetingId: string, connectionId: string, participant: Participant): Promise<void> {
    const key = redisKeys.meetingRoster(meetingId);
    const entry: RosterEntry = { connectionId, participant };
    await this.#redis.multi().hset(key, participant.userId, JSON.stringify(entry)).expire(key, ROSTER_TTL_SECONDS).exec();
  }

  /** Removes the user's entry if it is still this connection's. True when removed. */
  async remove(meetingId: string, userId: string, connectionId: string): Promise<boolean> {
    const removed = await this.#redis.eval(REMOVE_IF_OWNED, 1, redisKeys.meetingRoster(meetingId), userId, connectionId);
    return removed === 1;
  }

  /** Every participant in the meeting, on any node. */
  async list(meetingId: string): Promise<Participant[]> {
    return (await this.entries(meetingId)).map((entry) => entry.participant);
  }

  /** Every entry of the meeting (participant and owning connection). */
  async entries(meetingId: string): Promise<RosterEntry[]> {
    const all = await this.#redis.hgetall(redisKeys.meetingRoster(meetingId));
    return Object.values(all).flatMap((raw) => parseEntry(raw) ?? []);
  }

  /** The user's entry, if any. */
  async entry(meetingId: string, userId: string): Promise<RosterEntry | undefined> {
    const raw = await this.#redis.hget(redisKeys.meetingRoster(meetingId), userId);
    return raw === null ? undefined : parseEntry(raw);
  }

  /** Drops the entries of the given users (nodes that are gone). */
  async removeUsers(meetingId: string, userIds: readonly string[]): Promise<void> {
    if (userIds.length > 0) await this.#redis.hdel(redisKeys.meetingRoster(meetingId), ...userIds);
  }

  /** Drops the whole roster (meeting ended). */
  async clear(meetingId: string): Promise<void> {
    await this.#redis.del(redisKeys.meetingRoster(meetingId));
  }
}

/** A stored entry, or undefined when malformed (it is overwritten on the user's next join). */
function parseEntry(raw: string): RosterEntry | undefined {
  try {
    const entry = JSON.parse(raw) as { connectionId?: unknown; participant?: unknown };
    const participant = participantSchema.safeParse(entry.participant);
    if (!participant.success || typeof entry.connectionId !== 'string') return undefined;
    return { connectionId: entry.connectionId, participant: participant.data };
  } catch {
    return undefined;
  }
}
