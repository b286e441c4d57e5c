import { z } from 'zod';

// SFU messages of signaling protocol v1 (ARCHITECTURE.md, "Media (SFU) and captions").
// They travel in the same envelopes as every other signaling message:
//
//   client → node   { id, method: 'sfu.…', data }   → exactly one response
//   node → client   { method: 'sfu.…', data }       notification
//
// The shapes of RTP parameters, capabilities, ICE and DTLS parameters are mediasoup's
// (mediasoup/node/src/RtpParameters.ts, WebRtcTransportTypes.ts), which is what
// mediasoup-client produces and consumes. They are checked here structurally and with
// bounds; the engine (mediasoup) checks them fully and its refusal becomes a
// `bad_request` response. Meetings on the LiveKit engine carry their media through
// the LiveKit server (livekit-client), not through these requests: there every `sfu.*`
// request is answered `unsupported`.

/** What a producer carries; at most one producer per source per participant. */
export const mediaSourceValues = ['mic', 'camera', 'screen', 'screenAudio'] as const;
export type MediaSource = (typeof mediaSourceValues)[number];
export const mediaSourceSchema = z.enum(mediaSourceValues);

/** The kind of a source's track. */
export const kindOfSource: Record<MediaSource, 'audio' | 'video'> = {
  mic: 'audio',
  camera: 'video',
  screen: 'video',
  screenAudio: 'audio',
};

export const mediaKindSchema = z.enum(['audio', 'video']);
export type MediaKind = z.infer<typeof mediaKindSchema>;

/** Server-side ids of transports, producers and consumers (mediasoup uses UUIDs). */
const sfuId = z.string().min(1).max(64);

const shortString = z.string().max(256);
/** Codec parameters: `profile-level-id`, `useinbandfec`, `apt`, … */
const codecParameters = z.record(z.string().max(64), z.union([z.string().max(256), z.number()])).refine((p) => Object.keys(p).length <= 32, 'at most 32 codec parameters');
const rtcpFeedback = z.array(z.object({ type: z.string().max(32), parameter: z.string().max(32).optional() })).max(16);

const rtpCodecParameters = z
  .object({
    mimeType: z.string().regex(/^(audio|video)\/[A-Za-z0-9_.-]{1,32}$/, 'must look like audio/opus or video/VP8'),
    payloadType: z.number().int().min(0).max(127),
    clockRate: z.number().int().positive(),
    channels: z.number().int().min(1).max(8).optional(),
    parameters: codecParameters.optional(),
    rtcpFeedback: rtcpFeedback.optional(),
  })
  .loose();

const rtpEncoding = z
  .object({
    ssrc: z.number().int().nonnegative().optional(),
    rid: z.string().max(32).optional(),
    codecPayloadType: z.number().int().min(0).max(127).optional(),
    rtx: z.object({ ssrc: z.number().int().nonnegative() }).optional(),
    dtx: z.boolean().optional(),
    scalabilityMode: z.string().max(16).optional(),
    scaleResolutionDownBy: z.number().positive().optional(),
    maxBitrate: z.number().int().positive().optional(),
    maxFramerate: z.number().positive().optional(),
    active: z.boolean().optional(),
  })
  .loose();

const headerExtensionParameters = z
  .object({
    uri: z.string().max(256),
    id: z.number().int().min(1).max(255),
    encrypt: z.boolean().optional(),
    parameters: codecParameters.optional(),
  })
  .loose();

/** RTP parameters of a producer (what mediasoup-client's `transport.produce` sends). */
export const rtpParametersSchema = z
  .object({
    mid: z.string().max(32).optional(),
    codecs: z.array(rtpCodecParameters).min(1).max(16),
    headerExtensions: z.array(headerExtensionParameters).max(32).optional(),
    encodings: z.array(rtpEncoding).max(8).optional(),
    rtcp: z.object({ cname: shortString.optional(), reducedSize: z.boolean().optional(), mux: z.boolean().optional() }).loose().optional(),
    msid: z.string().max(256).optional(),
  })
  .loose();
export type RtpParametersInput = z.infer<typeof rtpParametersSchema>;

const rtpCodecCapability = z
  .object({
    kind: mediaKindSchema,
    mimeType: z.string().regex(/^(audio|video)\/[A-Za-z0-9_.-]{1,32}$/),
    preferredPayloadType: z.number().int().min(0).max(127).optional(),
    clockRate: z.number().int().positive(),
    channels: z.number().int().min(1).max(8).optional(),
    parameters: codecParameters.optional(),
    rtcpFeedback: rtcpFeedback.optional(),
  })
  .loose();

/** RTP capabilities of a receiving device (mediasoup-client's `device.rtpCapabilities`). */
export const rtpCapabilitiesSchema = z
  .object({
    codecs: z.array(rtpCodecCapability).max(64).optional(),
    headerExtensions: z
      .array(
        z
          .object({
            kind: mediaKindSchema,
            uri: z.string().max(256),
            preferredId: z.number().int().min(1).max(255),
            preferredEncrypt: z.boolean().optional(),
            direction: z.enum(['sendrecv', 'sendonly', 'recvonly', 'inactive']).optional(),
          })
          .loose(),
      )
      .max(64)
      .optional(),
  })
  .loose();
export type RtpCapabilitiesInput = z.infer<typeof rtpCapabilitiesSchema>;

/** DTLS parameters of the client's end of a WebRTC transport. */
export const dtlsParametersSchema = z
  .object({
    role: z.enum(['auto', 'client', 'server']).optional(),
    fingerprints: z
      .array(z.object({ algorithm: z.string().max(16), value: z.string().max(256) }))
      .min(1)
      .max(8),
  })
  .loose();

const id = z.union([z.string().max(64), z.number()]);

/**
 * `sfu.createTransport`: a WebRTC transport (default) in one direction. A receiving
 * transport needs the device's `rtpCapabilities`: the node consumes every current
 * and future producer of the meeting on it and announces each with `sfu.newConsumer`.
 * `type: 'plain'` (plain RTP over UDP, for tools and tests) is refused unless the node
 * allows plain transports (MEDIASOUP_ALLOW_PLAIN_TRANSPORTS).
 */
export const sfuCreateTransportDataSchema = z
  .object({
    direction: z.enum(['send', 'recv']),
    type: z.enum(['webrtc', 'plain']).optional().default('webrtc'),
    rtpCapabilities: rtpCapabilitiesSchema.optional(),
    /** Plain transports: the node learns the client's address from its first packet (default true). */
    comedia: z.boolean().optional(),
    /** Plain transports: RTP and RTCP on one port (default true). */
    rtcpMux: z.boolean().optional(),
  })
  .refine((d) => d.direction === 'send' || d.rtpCapabilities !== undefined, {
    message: 'a recv transport needs rtpCapabilities',
    path: ['rtpCapabilities'],
  });

const ipAddress = z.union([z.ipv4(), z.ipv6()]);
const port = z.number().int().min(1).max(65_535);

/** SFU requests a participant may send after `join`. */
export const sfuRequestSchemas = [
  z.object({ id, method: z.literal('sfu.getRouterRtpCapabilities'), data: z.object({}).optional().default({}) }),
  z.object({ id, method: z.literal('sfu.createTransport'), data: sfuCreateTransportDataSchema }),
  z.object({
    id,
    method: z.literal('sfu.connectTransport'),
    data: z.union([
      z.object({ transportId: sfuId, dtlsParameters: dtlsParametersSchema }),
      /** Plain transports without comedia: where the node sends RTP (and RTCP). */
      z.object({ transportId: sfuId, ip: ipAddress, port, rtcpPort: port.optional() }),
    ]),
  }),
  z.object({ id, method: z.literal('sfu.restartIce'), data: z.object({ transportId: sfuId }) }),
  z.object({
    id,
    method: z.literal('sfu.produce'),
    data: z.object({
      transportId: sfuId,
      kind: mediaKindSchema,
      rtpParameters: rtpParametersSchema,
      source: mediaSourceSchema,
      /** Start paused (e.g. the microphone is muted from the start). */
      paused: z.boolean().optional(),
    }),
  }),
  z.object({ id, method: z.literal('sfu.closeProducer'), data: z.object({ producerId: sfuId }) }),
  z.object({ id, method: z.literal('sfu.pauseProducer'), data: z.object({ producerId: sfuId }) }),
  z.object({ id, method: z.literal('sfu.resumeProducer'), data: z.object({ producerId: sfuId }) }),
  z.object({ id, method: z.literal('sfu.resumeConsumer'), data: z.object({ consumerId: sfuId }) }),
  z.object({
    id,
    method: z.literal('sfu.setPreferredLayers'),
    data: z.object({
      consumerId: sfuId,
      /** 0 = lowest simulcast layer. */
      spatialLayer: z.number().int().min(0).max(3),
      temporalLayer: z.number().int().min(0).max(3).optional(),
    }),
  }),
  z.object({
    id,
    method: z.literal('sfu.setConsumerPriority'),
    /** mediasoup consumer priority: 1 (lowest, default) … 255; bandwidth goes to higher first. */
    data: z.object({ consumerId: sfuId, priority: z.number().int().min(1).max(255) }),
  }),
] as const;

export type SfuRequest = z.infer<(typeof sfuRequestSchemas)[number]>;
export type SfuMethod = SfuRequest['method'];

/** True for the `sfu.*` request methods. */
export const isSfuMethod = (method: string): method is SfuMethod => method.startsWith('sfu.');

/** Simulcast/SVC layers a consumer forwards now (null: none, e.g. paused). */
export const layersSchema = z.object({ spatialLayer: z.number().int().min(0), temporalLayer: z.number().int().min(0).nullable() }).nullable();

/** SFU notifications (server → client). */
export const sfuNotificationSchemas = [
  /**
   * The node consumed a producer on the client's receiving transport. The consumer
   * starts paused: create it with mediasoup-client, then send `sfu.resumeConsumer`.
   */
  z.object({
    method: z.literal('sfu.newConsumer'),
    data: z.object({
      consumerId: sfuId,
      producerId: sfuId,
      transportId: sfuId,
      /** Whose media it is. */
      userId: z.uuid(),
      source: mediaSourceSchema,
      kind: mediaKindSchema,
      rtpParameters: z.record(z.string(), z.unknown()),
      type: z.enum(['simple', 'simulcast', 'svc', 'pipe']),
      /** The producer is paused (e.g. muted) right now. */
      producerPaused: z.boolean(),
    }),
  }),
  z.object({
    method: z.literal('sfu.consumerClosed'),
    data: z.object({ consumerId: sfuId, reason: z.enum(['producer_closed', 'transport_closed', 'restart']).optional() }),
  }),
  z.object({ method: z.literal('sfu.consumerPaused'), data: z.object({ consumerId: sfuId }) }),
  z.object({ method: z.literal('sfu.consumerResumed'), data: z.object({ consumerId: sfuId }) }),
  z.object({ method: z.literal('sfu.consumerLayersChanged'), data: z.object({ consumerId: sfuId, layers: layersSchema }) }),
  /** The server paused one of the client's own producers (a host muted the microphone). */
  z.object({
    method: z.literal('sfu.producerPaused'),
    data: z.object({ producerId: sfuId, source: mediaSourceSchema, byUserId: z.uuid().optional() }),
  }),
  /** The server closed one of the client's own producers. */
  z.object({ method: z.literal('sfu.producerClosed'), data: z.object({ producerId: sfuId, source: mediaSourceSchema }) }),
  /**
   * The node lost this meeting's media (its worker died) and rebuilt the router: drop
   * every transport, then load the new capabilities, create transports and produce again.
   */
  z.object({ method: z.literal('sfu.restart'), data: z.object({ reason: z.enum(['worker_died', 'router_moved']) }) }),
  /** Audio levels of the loudest speakers, at most a few times a second. `volume` in dBov (−127 … 0). */
  z.object({
    method: z.literal('speaker.levels'),
    data: z.object({ levels: z.array(z.object({ userId: z.uuid(), volume: z.number().min(-127).max(0) })).max(16) }),
  }),
] as const;

const anyRecord = z.record(z.string(), z.unknown());

/**
 * Data of successful `sfu.*` responses (mediasoup engine). ICE, DTLS and RTP shapes are
 * mediasoup's, passed through to mediasoup-client. Requests not listed answer `{}`.
 */
export const sfuResponseSchemas = {
  'sfu.getRouterRtpCapabilities': z.object({ rtpCapabilities: anyRecord }),
  'sfu.createTransport': z.discriminatedUnion('type', [
    z.object({
      type: z.literal('webrtc'),
      transportId: sfuId,
      iceParameters: anyRecord,
      iceCandidates: z.array(anyRecord),
      dtlsParameters: anyRecord,
    }),
    /** Plain RTP: where the node listens (send RTP there; with comedia the node answers the sender's address). */
    z.object({ type: z.literal('plain'), transportId: sfuId, ip: z.string(), port, rtcpPort: port.optional() }),
  ]),
  'sfu.restartIce': z.object({ iceParameters: anyRecord }),
  'sfu.produce': z.object({ producerId: sfuId }),
} as const;
