import type { Redis } from '@upstash/redis/cloudflare';
import {
  MEDIA_NODE_HEARTBEAT_INTERVAL_SECONDS,
  MEETING_NODE_TTL_SECONDS,
  acceptsNewMeetings,
  mediaNodeLoad,
  mediaNodeRegistryKeys,
  parseMediaNodeEntry,
  redisKeys,
  type MediaNodeEntry,
} from '@huddle/protocol';
import { ApiError } from '../lib/api-error.ts';

// Placement of meetings on media nodes (registry layout: protocol/src/media-nodes.ts).
// A meeting stays on one node ("sticky", media:meeting:{id}) so its participants meet in
// one SFU; a new or orphaned meeting goes to the least-loaded live node.

// Hot path, one round trip: the assigned node id and its registry entry, refreshing the
// assignment's TTL while that node is live. The entry key comes from ARGV (it depends on
// the stored id), which is fine on a single Redis/Upstash database, not on a cluster.
const LOOKUP_SCRIPT = `
local nodeId = redis.call('GET', KEYS[1])
if not nodeId then return false end
local entry = redis.call('GET', ARGV[1] .. nodeId)
if not entry then return {nodeId, ''} end
redis.call('EXPIRE', KEYS[1], ARGV[2])
return {nodeId, entry}
`;

// Compare-and-set: assign ARGV[2] when nothing is assigned or the assignment is still the
// node the caller saw die (ARGV[1]); otherwise keep the winner. Returns the assigned id,
// so two concurrent joins always end up on the same node.
const ASSIGN_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if (not current) or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
  return ARGV[2]
end
return current
`;

/** Rounds of compare-and-set before giving up (each lost round means a racing join won). */
const MAX_ASSIGN_ROUNDS = 3;

/** The registry as the edge reads it. */
export interface MediaNodeRegistry {
  redis: Redis;
  /** Key prefix, `media:nodes:` by default (config.mediaNodeRegistryPrefix). */
  prefix: string;
}

/**
 * Every live media node: the ids in the registry index whose entry still exists and
 * parses. Ids whose entry expired are removed from the index (nodes re-add themselves
 * on every heartbeat).
 */
export async function listLiveNodes({ redis, prefix }: MediaNodeRegistry): Promise<MediaNodeEntry[]> {
  const keys = mediaNodeRegistryKeys(prefix);
  // @upstash/redis JSON-parses replies, so an id such as "7" comes back as a number.
  const ids = (await redis.smembers(keys.index)).map(String);
  if (ids.length === 0) return [];
  const values = await redis.mget<unknown[]>(...ids.map(keys.entry));
  const live: MediaNodeEntry[] = [];
  const expired: string[] = [];
  ids.forEach((id, i) => {
    const value = values[i];
    if (value === null || value === undefined) {
      expired.push(id);
      return;
    }
    const entry = parseMediaNodeEntry(value);
    if (entry?.nodeId === id) live.push(entry);
  });
  if (expired.length > 0) await redis.srem(keys.index, ...expired);
  return live;
}

/**
 * The node a new meeting should go to: lowest share of capacity in use among nodes
 * that accept meetings (not draining, not full); ties go to fewer rooms, then node id.
 */
export function pickLeastLoaded(nodes: readonly MediaNodeEntry[]): MediaNodeEntry | undefined {
  let best: MediaNodeEntry | undefined;
  for (const node of nodes) {
    if (!acceptsNewMeetings(node)) continue;
    if (!best || compareLoad(node, best) < 0) best = node;
  }
  return best;
}

function compareLoad(a: MediaNodeEntry, b: MediaNodeEntry): number {
  return mediaNodeLoad(a) - mediaNodeLoad(b) || a.rooms - b.rooms || (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0);
}

/**
 * The media node hosting `meetingId`: the sticky assignment while its node is live and
 * not draining (even when full: a meeting must stay on one SFU), otherwise a newly
 * assigned least-loaded node. 503 `no_media_node` (Retry-After) when no node can take
 * the meeting, or when its node's SFU is unavailable (nothing is assigned or changed).
 */
export async function placeMeeting(registry: MediaNodeRegistry, meetingId: string): Promise<MediaNodeEntry> {
  const { redis, prefix } = registry;
  const stickyKey = redisKeys.meetingNode(meetingId);
  const ttl = String(MEETING_NODE_TTL_SECONDS);

  const found = await redis.eval<string[], unknown>(LOOKUP_SCRIPT, [stickyKey], [prefix, ttl]);
  let expected = '';
  if (Array.isArray(found)) {
    expected = String(found[0]);
    const current = parseMediaNodeEntry(found[1]);
    if (current && current.nodeId === expected && current.draining !== true) {
      // The meeting's media lives on that node's SFU: while it is down the meeting waits
      // (moving it would split it from the participants still connected there).
      if (current.sfuAvailable === false) throw mediaUnavailable();
      return current;
    }
  }

  let nodes: MediaNodeEntry[] | undefined;
  for (let round = 0; round < MAX_ASSIGN_ROUNDS; round++) {
    nodes ??= await listLiveNodes(registry);
    const candidate = pickLeastLoaded(nodes);
    if (!candidate) throw noMediaNode();
    const winner = String(
      await redis.eval<string[], unknown>(ASSIGN_SCRIPT, [stickyKey], [expected, candidate.nodeId, ttl]),
    );
    if (winner === candidate.nodeId) return candidate;
    // A concurrent join assigned another node first: follow it if it is live.
    const winnerEntry =
      nodes.find((n) => n.nodeId === winner) ??
      parseMediaNodeEntry(await redis.get(mediaNodeRegistryKeys(prefix).entry(winner)));
    if (winnerEntry && winnerEntry.draining !== true) {
      if (winnerEntry.sfuAvailable === false) throw mediaUnavailable();
      return winnerEntry;
    }
    expected = winner;
  }
  throw noMediaNode();
}

// Retry-After: a node that is starting up registers within one heartbeat.
const noMediaNode = () =>
  new ApiError(503, 'no_media_node', 'No media node is available to host this meeting; try again shortly.', {
    headers: { 'Retry-After': String(MEDIA_NODE_HEARTBEAT_INTERVAL_SECONDS) },
  });

const mediaUnavailable = () =>
  new ApiError(503, 'no_media_node', "The meeting's media server is unavailable right now; try again shortly.", {
    headers: { 'Retry-After': String(MEDIA_NODE_HEARTBEAT_INTERVAL_SECONDS) },
  });
