import { z } from 'zod';
import { mediaBackendValues } from './media-nodes.ts';
import { captionNotificationSchemas, captionRequestSchemas } from './captions.ts';
import { sfuNotificationSchemas, sfuRequestSchemas } from './sfu.ts';
import { lobbyNotificationSchemas, lobbyRequestSchemas } from './lobby.ts';
import { hasVisibleText, storable } from './storable-text.ts';

// Signaling protocol v1 between clients and a media node (WebSocket `/ws?access_token=`),
// and the messages media nodes exchange on a meeting's Redis channel
// `meeting:{id}:events` (redisKeys.meetingEvents). See ARCHITECTURE.md,
// "Signaling protocol (media node, v1)".
//
//   client → node   request       { id, method, data }
//   node → client   response      { id, ok: true, data } | { id, ok: false, error: { code, message } }
//   node → client   notification  { method, data }
//
// Every request gets exactly one response. A frame that cannot be parsed far enough to
// find its id gets an `error` notification instead.

/** WebSocket close codes used by media nodes. */
export const SIGNALING_CLOSE_CODES = {
  /** A normal close: the participant left, was removed, or the meeting ended. */
  normal: 1000,
  /** The node is shutting down (after `room.closing`); rejoin through the edge. */
  goingAway: 1001,
  /** A frame larger than SIGNALING_LIMITS.frameBytesMax. */
  tooLarge: 1009,
  /** The client did not read fast enough: its send queue overflowed. */
  slowClient: 1013,
  /** The token is missing, malformed or badly signed, or its login session has ended (logout, refresh-token reuse). */
  invalidToken: 4001,
  /** The token is valid but not for a room of a meeting this user may join now (not a participant, removed, meeting over). */
  forbidden: 4003,
  /** The same user connected again (another tab or device); the older connection closes. */
  replaced: 4009,
  /** The token has expired. */
  expiredToken: 4401,
} as const;

export const SIGNALING_LIMITS = {
  /** Largest frame a client may send, in bytes. */
  frameBytesMax: 64 * 1024,
  /** Messages waiting for a client before it counts as slow and is disconnected. */
  sendQueueMessagesMax: 256,
  /** Characters of a chat message after trimming. */
  chatTextCharsMax: 2_000,
  /** Characters of a client message id. */
  clientMsgIdCharsMax: 64,
  /** Messages per chat.history page. */
  chatHistoryLimitMax: 100,
  chatHistoryLimitDefault: 50,
} as const;

/** Stable error codes of signaling responses. */
export const signalingErrorCodes = [
  'bad_request',
  'unknown_method',
  'not_joined',
  'already_joined',
  'forbidden',
  'not_found',
  'rate_limited',
  /** The request conflicts with the current state (a second producer for a source, produce before connect). */
  'conflict',
  /** The meeting's SFU engine does not offer this (e.g. `sfu.*` on a LiveKit meeting). */
  'unsupported',
  /** No SFU runs on this node right now (no mediasoup worker, LiveKit unreachable). */
  'unavailable',
  'internal',
] as const;
export type SignalingErrorCode = (typeof signalingErrorCodes)[number];

const uuid = z.uuid().transform((id) => id.toLowerCase());
const empty = z.object({}).optional().default({});

/** Cursor for chat history: the `cursor` of the oldest message already shown. */
export const chatCursorSchema = z.string().min(1).max(200);

/**
 * Request methods with their `data` schema. Every string and key in a request must be
 * storable (no NUL, no unpaired surrogates: protocol/src/storable-text.ts).
 */
export const signalingRequestSchema = storable(z.discriminatedUnion('method', [
  z.object({ id: z.union([z.string().max(64), z.number()]), method: z.literal('join'), data: empty }),
  z.object({ id: z.union([z.string().max(64), z.number()]), method: z.literal('leave'), data: empty }),
  z.object({
    id: z.union([z.string().max(64), z.number()]),
    method: z.literal('chat.send'),
    data: z.object({
      text: z
        .string()
        .trim()
        .min(1, 'text must not be empty')
        .max(SIGNALING_LIMITS.chatTextCharsMax)
        .refine(hasVisibleText, 'text must contain at least one visible character'),
      clientMsgId: z.string().min(1).max(SIGNALING_LIMITS.clientMsgIdCharsMax),
    }),
  }),
  z.object({
    id: z.union([z.string().max(64), z.number()]),
    method: z.literal('chat.history'),
    data: z
      .object({
        before: chatCursorSchema.optional(),
        limit: z.number().int().min(1).max(SIGNALING_LIMITS.chatHistoryLimitMax).optional(),
      })
      .optional()
      .default({}),
  }),
  z.object({
    id: z.union([z.string().max(64), z.number()]),
    method: z.literal('media.setState'),
    data: z
      .object({ audio: z.boolean().optional(), video: z.boolean().optional(), screen: z.boolean().optional() })
      .refine((d) => d.audio !== undefined || d.video !== undefined || d.screen !== undefined, 'set at least one of audio, video, screen'),
  }),
  z.object({ id: z.union([z.string().max(64), z.number()]), method: z.literal('hand.raise'), data: empty }),
  z.object({ id: z.union([z.string().max(64), z.number()]), method: z.literal('hand.lower'), data: empty }),
  z.object({ id: z.union([z.string().max(64), z.number()]), method: z.literal('host.mute'), data: z.object({ userId: uuid }) }),
  z.object({ id: z.union([z.string().max(64), z.number()]), method: z.literal('host.remove'), data: z.object({ userId: uuid }) }),
  z.object({ id: z.union([z.string().max(64), z.number()]), method: z.literal('host.endForAll'), data: empty }),
  ...sfuRequestSchemas,
  ...captionRequestSchemas,
  ...lobbyRequestSchemas,
]));
export type SignalingRequest = z.infer<typeof signalingRequestSchema>;
export type SignalingMethod = SignalingRequest['method'];
export type SignalingRequestOf<M extends SignalingMethod> = Extract<SignalingRequest, { method: M }>;
export const signalingMethods: readonly SignalingMethod[] = signalingRequestSchema.options.map((o) => o.shape.method.value);

/** A request id: what a response echoes. */
export type RequestId = string | number;

/** The envelope of any request, before its method and data are checked. */
export const requestEnvelopeSchema = z.object({
  id: z.union([z.string().max(64), z.number()]),
  method: z.string().max(64),
  data: z.unknown().optional(),
});

export interface SignalingError {
  code: SignalingErrorCode;
  message: string;
}

/** A response to one request. */
export type SignalingResponse =
  | { id: RequestId; ok: true; data: unknown }
  | { id: RequestId; ok: false; error: SignalingError };

/** Media state of a participant. */
export const mediaStateSchema = z.object({ audio: z.boolean(), video: z.boolean(), screen: z.boolean() });
export type MediaState = z.infer<typeof mediaStateSchema>;

/** Roles in a meeting room; `guest`: entered with the link without an account (no host rights). */
export const roomRoleValues = ['host', 'cohost', 'attendee', 'guest'] as const;
export type RoomRole = (typeof roomRoleValues)[number];

/** A participant as others see them. */
export const participantSchema = z.object({
  userId: z.uuid(),
  name: z.string(),
  role: z.enum(roomRoleValues),
  /** The media node the participant is connected to. */
  nodeId: z.string(),
  media: mediaStateSchema,
  handRaised: z.boolean(),
  joinedAt: z.iso.datetime({ offset: true }),
});
export type Participant = z.infer<typeof participantSchema>;

/**
 * Where a meeting's media runs, part of the `join` response: `mediasoup` media goes
 * through `sfu.*` requests on this socket; `livekit` media goes to `livekitUrl` with the
 * same join token (livekit-client), and this socket keeps chat, hands, host controls and
 * captions. `available` is false while the node's SFU cannot take media.
 */
export const roomMediaSchema = z.object({
  backend: z.enum(mediaBackendValues),
  available: z.boolean(),
  livekitUrl: z.url({ protocol: /^(wss?|https?)$/ }).optional(),
});
export type RoomMedia = z.infer<typeof roomMediaSchema>;

/** The data of a successful `join` response. */
export const joinResponseSchema = z.object({
  self: participantSchema,
  participants: z.array(participantSchema),
  media: roomMediaSchema,
});
export type JoinResponse = z.infer<typeof joinResponseSchema>;

/** A stored chat message. `cursor` pages history (`before`). */
export const chatMessageSchema = z.object({
  id: z.string(),
  meetingId: z.uuid(),
  userId: z.uuid(),
  text: z.string(),
  clientMsgId: z.string(),
  sentAt: z.iso.datetime({ offset: true }),
  cursor: z.string(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/** Why a participant left. */
export const leaveReasonValues = ['left', 'disconnected', 'removed', 'replaced', 'meeting_ended', 'node_shutdown'] as const;
export type LeaveReason = (typeof leaveReasonValues)[number];

/** Server → client notifications. */
export const signalingNotificationSchema = z.discriminatedUnion('method', [
  z.object({ method: z.literal('participant.joined'), data: z.object({ participant: participantSchema }) }),
  z.object({
    method: z.literal('participant.left'),
    data: z.object({ userId: z.uuid(), reason: z.enum(leaveReasonValues) }),
  }),
  z.object({ method: z.literal('participant.updated'), data: z.object({ participant: participantSchema }) }),
  z.object({ method: z.literal('chat.message'), data: z.object({ message: chatMessageSchema }) }),
  z.object({
    method: z.literal('meeting.ended'),
    data: z.object({ meetingId: z.uuid(), endedBy: z.uuid().optional(), endedAt: z.iso.datetime({ offset: true }) }),
  }),
  /** An AI result for the meeting (captions, speaking activity, ...), as the AI pool published it. */
  z.object({ method: z.literal('ai.result'), data: z.record(z.string(), z.unknown()) }),
  z.object({ method: z.literal('speaker.active'), data: z.object({ userId: z.uuid().nullable() }) }),
  /** The node is shutting down; the socket closes with 1001 next. Rejoin through the edge. */
  z.object({ method: z.literal('room.closing'), data: z.object({ reason: z.enum(['node_shutdown']) }) }),
  /** A frame without a usable request id could not be handled. */
  z.object({ method: z.literal('error'), data: z.object({ code: z.enum(signalingErrorCodes), message: z.string() }) }),
  ...sfuNotificationSchemas,
  ...captionNotificationSchemas,
  ...lobbyNotificationSchemas,
]);
export type SignalingNotification = z.infer<typeof signalingNotificationSchema>;
export type SignalingNotificationMethod = SignalingNotification['method'];

/** Any frame a node sends to a client. */
export type ServerFrame = SignalingResponse | SignalingNotification;

// ---------------------------------------------------------------------------------------
// The meeting channel between media nodes (and from the edge and the AI pool)
// ---------------------------------------------------------------------------------------

/**
 * A room event one media node relays to the others: the notification to deliver to
 * their local participants. `origin` is the publishing node id, so it skips its own.
 * `targetUserId` set: a host action aimed at that user (mute/remove), applied by the
 * node that hosts them.
 */
export const roomRelaySchema = z.object({
  type: z.literal('room.relay'),
  meetingId: z.uuid(),
  origin: z.string(),
  notification: signalingNotificationSchema,
});
export type RoomRelay = z.infer<typeof roomRelaySchema>;

/** A host action for a participant on another node. */
export const roomCommandSchema = z.object({
  type: z.literal('room.command'),
  meetingId: z.uuid(),
  origin: z.string(),
  command: z.enum(['mute', 'remove']),
  userId: z.uuid(),
  byUserId: z.uuid(),
});
export type RoomCommand = z.infer<typeof roomCommandSchema>;

/**
 * A live AI result the AI pool publishes on the meeting channel. Everything besides
 * `type` is forwarded to the room's participants as the `ai.result` notification data.
 */
export const aiResultEventSchema = z
  .object({ type: z.literal('ai.result'), meetingId: z.uuid() })
  .loose();
export type AiResultEvent = z.infer<typeof aiResultEventSchema>;

