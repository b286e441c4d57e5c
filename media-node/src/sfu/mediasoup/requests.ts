import { ortc, type types } from 'mediasoup';
import { kindOfSource, type SfuRequest } from '@huddle/protocol';
import { assertNever, errorMessage, fail, ok, type Result } from '../../signaling/types.ts';
import type { MediasoupConfig } from './config.ts';
import type { RouterEntry } from './meeting-routers.ts';
import { type MediasoupPeer, type ProducerEntry, TRANSPORTS_PER_PEER_MAX, type TransportEntry } from './peer.ts';

/** What request handlers need from their room. */
export interface RequestRoom {
  readonly config: MediasoupConfig;
  /** RTP capabilities of the meeting's routers. */
  rtpCapabilities(): types.RtpCapabilities;
  /** The router of a participant (placed at its first transport). */
  placePeer(peer: MediasoupPeer): Promise<RouterEntry>;
  /** A transport was created: keep it and, for a receiving one, consume every producer of the others on it. */
  transportCreated(peer: MediasoupPeer, entry: TransportEntry): void;
  /** A producer was created: keep it, announce the media, observe and tap a microphone, consume it for the others. */
  producerCreated(peer: MediasoupPeer, entry: ProducerEntry): void;
  /** A producer was paused or resumed by its owner. */
  producerPausedChanged(peer: MediasoupPeer, entry: ProducerEntry): void;
  /** The participant holding a transport, producer or consumer of this meeting, if any holds it. */
  ownerOf(id: string): string | undefined;
}

const notFound = (what: string) => fail('not_found', `no such ${what} in this meeting`);
const notYours = (what: string) => fail('forbidden', `that ${what} belongs to another participant`);
/** mediasoup's refusal of a client's parameters, as a client error (never a stack trace). */
const refused = (error: unknown) => fail('bad_request', `the SFU refused the parameters: ${errorMessage(error).slice(0, 300)}`);

/**
 * Handles one `sfu.*` request of a joined participant (ARCHITECTURE.md, "Media").
 * Response data:
 * - getRouterRtpCapabilities → `{ rtpCapabilities }`
 * - createTransport → WebRTC `{ transportId, type, iceParameters, iceCandidates, dtlsParameters }`;
 *   plain `{ transportId, type, ip, port, rtcpPort? }`
 * - restartIce → `{ iceParameters }`; produce → `{ producerId }`; the rest → `{}`.
 * Bad input (unknown ids: `not_found`; another participant's ids: `forbidden`;
 * parameters the SFU cannot take: `bad_request`; a second producer for a source or
 * produce before connect: `conflict`) is an error result and changes nothing.
 */
export async function handleRequest(room: RequestRoom, peer: MediasoupPeer, request: SfuRequest): Promise<Result> {
  switch (request.method) {
    case 'sfu.getRouterRtpCapabilities':
      return ok({ rtpCapabilities: room.rtpCapabilities() });
    case 'sfu.createTransport':
      return createTransport(room, peer, request.data);
    case 'sfu.connectTransport':
      return connectTransport(room, peer, request.data);
    case 'sfu.restartIce': {
      const entry = ownTransport(room, peer, request.data.transportId);
      if (!entry.ok) return entry;
      if (entry.data.transport.type !== 'webrtc') return fail('bad_request', 'only WebRTC transports restart ICE');
      return ok({ iceParameters: await entry.data.transport.restartIce() });
    }
    case 'sfu.produce':
      return produce(room, peer, request.data);
    case 'sfu.closeProducer':
    case 'sfu.pauseProducer':
    case 'sfu.resumeProducer': {
      const entry = ownProducer(room, peer, request.data.producerId);
      if (!entry.ok) return entry;
      const { producer } = entry.data;
      if (request.method === 'sfu.closeProducer') producer.close();
      else if (request.method === 'sfu.pauseProducer' && !producer.paused) {
        await producer.pause();
        room.producerPausedChanged(peer, entry.data);
      } else if (request.method === 'sfu.resumeProducer' && producer.paused) {
        await producer.resume();
        room.producerPausedChanged(peer, entry.data);
      }
      return ok({});
    }
    case 'sfu.resumeConsumer': {
      const consumer = ownConsumer(room, peer, request.data.consumerId);
      if (!consumer.ok) return consumer;
      await consumer.data.resume();
      return ok({});
    }
    case 'sfu.setPreferredLayers': {
      const consumer = ownConsumer(room, peer, request.data.consumerId);
      if (!consumer.ok) return consumer;
      // Simulcast and SVC consumers only; a single-stream consumer has one layer to forward.
      if (consumer.data.type === 'simulcast' || consumer.data.type === 'svc') {
        const { spatialLayer, temporalLayer } = request.data;
        await consumer.data.setPreferredLayers(temporalLayer === undefined ? { spatialLayer } : { spatialLayer, temporalLayer });
      }
      return ok({});
    }
    case 'sfu.setConsumerPriority': {
      const consumer = ownConsumer(room, peer, request.data.consumerId);
      if (!consumer.ok) return consumer;
      await consumer.data.setPriority(request.data.priority);
      return ok({});
    }
    default:
      return assertNever(request);
  }
}

type CreateTransportData = Extract<SfuRequest, { method: 'sfu.createTransport' }>['data'];

async function createTransport(room: RequestRoom, peer: MediasoupPeer, data: CreateTransportData): Promise<Result> {
  const { config } = room;
  if (data.type === 'plain' && !config.allowPlainTransports) return fail('forbidden', 'plain RTP transports are not allowed on this node');
  if (peer.transports.size >= TRANSPORTS_PER_PEER_MAX) return fail('conflict', `at most ${TRANSPORTS_PER_PEER_MAX} transports per participant`);
  let rtpCapabilities: types.RtpCapabilities | undefined;
  if (data.direction === 'recv') {
    // Checked here so that a bad device description fails the request, not each consume later.
    rtpCapabilities = structuredClone(data.rtpCapabilities) as types.RtpCapabilities;
    try {
      ortc.validateAndNormalizeRtpCapabilities(rtpCapabilities);
    } catch (error) {
      return refused(error);
    }
  }
  const router = await room.placePeer(peer);
  const appData = { userId: peer.userId, direction: data.direction };
  let entry: TransportEntry;
  if (data.type === 'plain') {
    const comedia = data.comedia ?? true;
    const transport = await router.router.createPlainTransport({
      listenInfo: listenInfo(config),
      rtcpMux: data.rtcpMux ?? true,
      comedia,
      appData,
    });
    entry = { transport, direction: data.direction, router, connected: comedia, rtpCapabilities };
  } else {
    const transport = await router.router.createWebRtcTransport({
      webRtcServer: router.webRtcServer,
      enableUdp: true,
      enableTcp: true,
      preferUdp: true,
      initialAvailableOutgoingBitrate: config.initialOutgoingBitrate,
      appData,
    });
    entry = { transport, direction: data.direction, router, connected: false, rtpCapabilities };
  }
  const { transport } = entry;
  try {
    if (data.direction === 'send') await transport.setMaxIncomingBitrate(config.maxIncomingBitrate);
    if (data.direction === 'recv' && config.maxOutgoingBitrate !== undefined && transport.type === 'webrtc') {
      await transport.setMaxOutgoingBitrate(config.maxOutgoingBitrate);
    }
  } catch (error) {
    transport.close();
    throw error;
  }
  if (peer.closed) {
    transport.close();
    return fail('not_joined', 'left the meeting');
  }
  room.transportCreated(peer, entry);
  if (transport.type === 'plain') {
    const { tuple, rtcpTuple } = transport;
    return ok({
      transportId: transport.id,
      type: 'plain',
      ip: tuple.localAddress,
      port: tuple.localPort,
      ...(rtcpTuple ? { rtcpPort: rtcpTuple.localPort } : {}),
    });
  }
  return ok({
    transportId: transport.id,
    type: 'webrtc',
    iceParameters: transport.iceParameters,
    iceCandidates: transport.iceCandidates,
    dtlsParameters: transport.dtlsParameters,
  });
}

type ConnectTransportData = Extract<SfuRequest, { method: 'sfu.connectTransport' }>['data'];

async function connectTransport(room: RequestRoom, peer: MediasoupPeer, data: ConnectTransportData): Promise<Result> {
  const found = ownTransport(room, peer, data.transportId);
  if (!found.ok) return found;
  const entry = found.data;
  if (entry.connected) return fail('conflict', 'the transport is already connected');
  const { transport } = entry;
  try {
    if ('dtlsParameters' in data) {
      if (transport.type !== 'webrtc') return fail('bad_request', 'a plain transport connects with ip and port');
      await transport.connect({ dtlsParameters: data.dtlsParameters as types.DtlsParameters });
    } else {
      if (transport.type !== 'plain') return fail('bad_request', 'a WebRTC transport connects with dtlsParameters');
      await transport.connect({ ip: data.ip, port: data.port, ...(data.rtcpPort ? { rtcpPort: data.rtcpPort } : {}) });
    }
  } catch (error) {
    return refused(error);
  }
  entry.connected = true;
  return ok({});
}

type ProduceData = Extract<SfuRequest, { method: 'sfu.produce' }>['data'];

async function produce(room: RequestRoom, peer: MediasoupPeer, data: ProduceData): Promise<Result> {
  const found = ownTransport(room, peer, data.transportId);
  if (!found.ok) return found;
  const entry = found.data;
  if (entry.direction !== 'send') return fail('bad_request', 'produce on a send transport');
  if (!entry.connected) return fail('conflict', 'connect the transport before producing');
  if (kindOfSource[data.source] !== data.kind) return fail('bad_request', `source ${data.source} carries ${kindOfSource[data.source]}`);
  if (peer.sources.has(data.source)) return fail('conflict', `a ${data.source} producer already exists; close it first`);
  // Reserved before the first await: a second produce for the source fails even while this one runs.
  peer.sources.add(data.source);
  let producer: types.Producer;
  try {
    producer = await entry.transport.produce({
      kind: data.kind,
      rtpParameters: structuredClone(data.rtpParameters) as types.RtpParameters,
      paused: data.paused ?? false,
      appData: { userId: peer.userId, source: data.source },
    });
  } catch (error) {
    peer.sources.delete(data.source);
    return refused(error);
  }
  if (peer.closed || entry.transport.closed) {
    producer.close();
    peer.sources.delete(data.source);
    return fail('not_found', 'the transport closed');
  }
  room.producerCreated(peer, { producer, source: data.source, userId: peer.userId, router: entry.router });
  return ok({ producerId: producer.id });
}

function ownTransport(room: RequestRoom, peer: MediasoupPeer, transportId: string): Result<TransportEntry> {
  const entry = peer.transports.get(transportId);
  if (entry) return ok(entry);
  return room.ownerOf(transportId) ? notYours('transport') : notFound('transport');
}

function ownProducer(room: RequestRoom, peer: MediasoupPeer, producerId: string): Result<ProducerEntry> {
  const entry = peer.producers.get(producerId);
  if (entry) return ok(entry);
  return room.ownerOf(producerId) ? notYours('producer') : notFound('producer');
}

function ownConsumer(room: RequestRoom, peer: MediasoupPeer, consumerId: string): Result<types.Consumer> {
  const entry = peer.consumers.get(consumerId);
  if (entry) return ok(entry.consumer);
  return room.ownerOf(consumerId) ? notYours('consumer') : notFound('consumer');
}

/** Where plain transports listen: the node's listen address, the configured port range. */
function listenInfo(config: MediasoupConfig): types.TransportListenInfo {
  return {
    protocol: 'udp',
    ip: config.listenIp,
    ...(config.announcedAddress ? { announcedAddress: config.announcedAddress } : {}),
    portRange: { min: config.rtcMinPort, max: config.rtcMaxPort },
  };
}
