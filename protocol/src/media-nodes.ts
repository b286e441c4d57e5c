import { z } from 'zod';
import { parseJsonWith } from './json.ts';
import { redisKeys } from './redis-keys.ts';

// The media node registry in Redis (it replaces etcd). Written by media nodes, read by
// the edge when it places a meeting:
//
//   {prefix}{nodeId}   one entry per live node: JSON MediaNodeEntry, `SET ... EX` on every
//                      heartbeat (every MEDIA_NODE_HEARTBEAT_INTERVAL_SECONDS, TTL
//                      MEDIA_NODE_HEARTBEAT_TTL_SECONDS). A node is live exactly while its
//                      entry exists: a crashed node disappears when the TTL runs out.
//   {index}            a SET of node ids (the prefix without its trailing ':'), so readers
//                      list nodes with SMEMBERS + MGET instead of SCANning the whole
//                      keyspace. It is only an index: nodes SADD themselves on every
//                      heartbeat (with the SET, in one MULTI) and SREM on shutdown; readers
//                      SREM ids whose entry has expired.
//   media:meeting:{id} sticky meeting → node id (redisKeys.meetingNode), set by the edge
//                      with compare-and-set, TTL MEETING_NODE_TTL_SECONDS, refreshed by
//                      every join; the node hosting the room should refresh it too (EXPIRE)
//                      while the room is open.
//
// The prefix is `media:nodes:` unless MEDIA_NODE_REGISTRY_PREFIX says otherwise (a
// separate registry per environment or test run); edge and media node must agree.

/** SFU implementations a media node can run. */
export const mediaBackendValues = ['mediasoup', 'livekit'] as const;
export type MediaBackend = (typeof mediaBackendValues)[number];

/** Default registry prefix: `media:nodes:` (the MEDIA_NODE_REGISTRY_PREFIX variable overrides it). */
export const DEFAULT_MEDIA_NODE_REGISTRY_PREFIX = redisKeys.mediaNode('');

/** A registry prefix: key-safe characters ending in ':'. */
export const mediaNodeRegistryPrefixSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.{}-]+(:[A-Za-z0-9_.{}-]+)*:$/, 'must be key-safe characters ending in ":"');

/** Seconds between two heartbeats of a media node. */
export const MEDIA_NODE_HEARTBEAT_INTERVAL_SECONDS = 5;
/** TTL of a registry entry: a node that missed about three heartbeats is gone. */
export const MEDIA_NODE_HEARTBEAT_TTL_SECONDS = 15;
/**
 * TTL of the sticky meeting → node assignment. Sliding: every join and the hosting
 * node's room keep-alive refresh it, so it outlives any meeting that is in use.
 */
export const MEETING_NODE_TTL_SECONDS = 6 * 3_600;

/** A media node id: also part of a Redis key, so key-safe characters only. */
export const mediaNodeIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 letters, digits, ".", "_" or "-"');

/** One registry entry, the JSON value of `{prefix}{nodeId}`. Unknown fields are ignored. */
export const mediaNodeEntrySchema = z.object({
  nodeId: mediaNodeIdSchema,
  /** Base URL clients connect to: `ws(s)://host[:port]` (the media node) or the LiveKit server URL. */
  url: z.url({ protocol: /^wss?$/ }),
  backend: z.enum(mediaBackendValues),
  /** Open client connections right now. */
  connections: z.number().int().min(0),
  /** Open rooms (meetings) right now. */
  rooms: z.number().int().min(0),
  /** Connections the node accepts before it counts as full for new meetings. */
  capacity: z.number().int().min(1),
  /** True while the node shuts down: it gets no meetings, and its meetings move on rejoin. */
  draining: z.boolean().optional(),
  /** False while the node's SFU cannot take media (no mediasoup worker, LiveKit down): it gets no meetings. Absent = true. */
  sfuAvailable: z.boolean().optional(),
  /** `livekit` nodes: the LiveKit server URL clients send media to (with the same join token). */
  livekitUrl: z.url({ protocol: /^(wss?|https?)$/ }).optional(),
  updatedAt: z.iso.datetime({ offset: true }),
});
export type MediaNodeEntry = z.infer<typeof mediaNodeEntrySchema>;

/** Key names of the registry under `prefix` (default `media:nodes:`). */
export function mediaNodeRegistryKeys(prefix: string = DEFAULT_MEDIA_NODE_REGISTRY_PREFIX): {
  entry: (nodeId: string) => string;
  index: string;
} {
  return { entry: (nodeId) => `${prefix}${nodeId}`, index: prefix.replace(/:$/, '') };
}

/**
 * A registry value as read from Redis (a JSON string, or an object when the client
 * already parsed it), or undefined when it is missing or malformed.
 */
export function parseMediaNodeEntry(value: unknown): MediaNodeEntry | undefined {
  return parseJsonWith(mediaNodeEntrySchema, value);
}

/** Share of capacity in use (0 = idle, ≥ 1 = full). */
export const mediaNodeLoad = (node: MediaNodeEntry): number => node.connections / node.capacity;

/** True when the node may be given a new meeting: not draining, its SFU running, and below capacity. */
export const acceptsNewMeetings = (node: MediaNodeEntry): boolean =>
  node.draining !== true && node.sfuAvailable !== false && node.connections < node.capacity;
