import { FakeHandler, testFakeParameters } from 'mediasoup-client';
import { FakeMediaStreamTrack } from 'fake-mediastreamtrack';
import type { SignalingNotification } from '@huddle/protocol';
import { describe, expect, it } from 'vitest';
import type { MediaAdapterEvent, MediaSession, SignalingLink } from './adapter.ts';
import { MediasoupAdapter } from './mediasoup-adapter.ts';
import type { OutgoingRequest } from '../signaling/signaling-client.ts';

/** A media node's SFU as the adapter sees it: answers `sfu.*` with mediasoup's fake parameters. */
class FakeNode implements SignalingLink {
  readonly requests: OutgoingRequest[] = [];
  readonly #listeners = new Set<(n: SignalingNotification) => void>();
  #producers = 0;

  async request(message: OutgoingRequest): Promise<unknown> {
    this.requests.push(message);
    switch (message.method) {
      case 'sfu.getRouterRtpCapabilities':
        return { rtpCapabilities: testFakeParameters.generateRouterRtpCapabilities() };
      case 'sfu.createTransport': {
        const { id, iceParameters, iceCandidates, dtlsParameters } = testFakeParameters.generateTransportRemoteParameters();
        return { type: 'webrtc', transportId: id, iceParameters, iceCandidates, dtlsParameters };
      }
      case 'sfu.produce':
        this.#producers += 1;
        return { producerId: `producer-${this.#producers}` };
      case 'sfu.restartIce':
        return { iceParameters: testFakeParameters.generateTransportRemoteParameters().iceParameters };
      default:
        return {};
    }
  }

  onNotification(listener: (n: SignalingNotification) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  notify(notification: SignalingNotification): void {
    for (const listener of [...this.#listeners]) listener(notification);
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  methods(): string[] {
    return this.requests.map((r) => r.method);
  }

  produced(): { source: string; paused: boolean | undefined }[] {
    return this.requests.flatMap((r) => (r.method === 'sfu.produce' ? [{ source: r.data.source, paused: r.data.paused }] : []));
  }
}

const selfUserId = '11111111-1111-4111-8111-111111111111';
const remoteUserId = '22222222-2222-4222-8222-222222222222';

function setUp() {
  const adapter = new MediasoupAdapter({ handlerFactory: FakeHandler.createFactory(testFakeParameters) });
  const events: MediaAdapterEvent[] = [];
  adapter.on((event) => events.push(event));
  const session = (node: FakeNode): MediaSession => ({
    signaling: node,
    token: 'join-token',
    media: { backend: 'mediasoup', available: true },
    selfUserId,
  });
  return { adapter, events, session };
}

const track = (kind: 'audio' | 'video') => new FakeMediaStreamTrack({ kind }) as unknown as MediaStreamTrack;

const newConsumer = (consumerId: string, source: 'camera' | 'mic', producerPaused = false): SignalingNotification => {
  const remote = testFakeParameters.generateConsumerRemoteParameters({ id: consumerId, codecMimeType: source === 'camera' ? 'video/VP8' : 'audio/opus' });
  return {
    method: 'sfu.newConsumer',
    data: {
      consumerId,
      producerId: remote.producerId,
      transportId: 'recv',
      userId: remoteUserId,
      source,
      kind: remote.kind,
      rtpParameters: remote.rtpParameters as unknown as Record<string, unknown>,
      type: 'simple',
      producerPaused,
    },
  };
};

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('mediasoup adapter', () => {
  it('loads the router capabilities, creates both transports and produces the sources set before connecting', async () => {
    const { adapter, events, session } = setUp();
    await adapter.publish('mic', track('audio'), { muted: true });
    await adapter.publish('camera', track('video'));
    const node = new FakeNode();
    await adapter.connect(session(node));
    expect(node.methods().slice(0, 3)).toEqual(['sfu.getRouterRtpCapabilities', 'sfu.createTransport', 'sfu.createTransport']);
    const recv = node.requests.find((r) => r.method === 'sfu.createTransport' && r.data.direction === 'recv');
    expect(recv?.method === 'sfu.createTransport' && recv.data.rtpCapabilities).toBeTruthy();
    expect(node.produced()).toEqual([
      { source: 'mic', paused: true },
      { source: 'camera', paused: false },
    ]);
    expect(events.at(-1)).toEqual({ type: 'connection', state: 'connected' });
    await adapter.close();
  });

  it('turns sfu.newConsumer into a playable remote track, resumes the consumer, and follows pause and close', async () => {
    const { adapter, events, session } = setUp();
    const node = new FakeNode();
    await adapter.connect(session(node));
    node.notify(newConsumer('c-1', 'camera', true));
    await settle();
    const added = events.find((e) => e.type === 'remoteTrack');
    expect(added).toMatchObject({ type: 'remoteTrack', userId: remoteUserId, source: 'camera', muted: true });
    expect(added?.type === 'remoteTrack' && added.track.kind).toBe('video');
    expect(node.requests).toContainEqual({ method: 'sfu.resumeConsumer', data: { consumerId: 'c-1' } });

    node.notify({ method: 'sfu.consumerResumed', data: { consumerId: 'c-1' } });
    node.notify({ method: 'sfu.consumerPaused', data: { consumerId: 'c-1' } });
    node.notify({ method: 'sfu.consumerClosed', data: { consumerId: 'c-1', reason: 'producer_closed' } });
    node.notify({ method: 'sfu.consumerClosed', data: { consumerId: 'unknown' } });
    await settle();
    expect(events.filter((e) => e.type !== 'connection' && e.type !== 'remoteTrack')).toEqual([
      { type: 'remoteMuted', userId: remoteUserId, source: 'camera', muted: false },
      { type: 'remoteMuted', userId: remoteUserId, source: 'camera', muted: true },
      { type: 'remoteTrackEnded', userId: remoteUserId, source: 'camera' },
    ]);
    await adapter.close();
  });

  it('mutes locally when the host mutes the microphone, and keeps it muted across a reconnect', async () => {
    const { adapter, events, session } = setUp();
    const node = new FakeNode();
    await adapter.publish('mic', track('audio'));
    await adapter.connect(session(node));
    node.notify({ method: 'sfu.producerPaused', data: { producerId: 'producer-1', source: 'mic', byUserId: remoteUserId } });
    await settle();
    expect(events).toContainEqual({ type: 'localMutedByServer', source: 'mic' });

    // A new signaling session (another node): everything is rebuilt, the mic still muted.
    const second = new FakeNode();
    await adapter.connect(session(second));
    expect(node.listenerCount).toBe(0);
    expect(second.produced()).toEqual([{ source: 'mic', paused: true }]);

    // The user unmutes deliberately: the producer resumes on the server.
    await adapter.setMuted('mic', false);
    expect(second.requests.at(-1)).toEqual({ method: 'sfu.resumeProducer', data: { producerId: 'producer-1' } });
    await adapter.close();
  });

  it('drops remote tracks of the old session on reconnect and after sfu.restart rebuilds on the same socket', async () => {
    const { adapter, events, session } = setUp();
    const node = new FakeNode();
    await adapter.publish('camera', track('video'));
    await adapter.connect(session(node));
    node.notify(newConsumer('c-9', 'mic'));
    await settle();
    node.notify({ method: 'sfu.restart', data: { reason: 'worker_died' } });
    await settle();
    expect(events).toContainEqual({ type: 'remoteTrackEnded', userId: remoteUserId, source: 'mic' });
    expect(node.methods().filter((m) => m === 'sfu.createTransport')).toHaveLength(4);
    expect(node.produced()).toEqual([
      { source: 'camera', paused: false },
      { source: 'camera', paused: false },
    ]);
    await adapter.close();
  });

  it('pauses, resumes and closes producers on request, and stops tracks on close', async () => {
    const { adapter, session } = setUp();
    const node = new FakeNode();
    await adapter.connect(session(node));
    const screen = track('video');
    await adapter.publish('screen', screen);
    await adapter.setMuted('screen', true);
    await adapter.setMuted('screen', true);
    await adapter.unpublish('screen');
    expect(node.methods().filter((m) => m !== 'sfu.createTransport' && m !== 'sfu.getRouterRtpCapabilities')).toEqual([
      'sfu.connectTransport',
      'sfu.produce',
      'sfu.pauseProducer',
      'sfu.closeProducer',
    ]);
    expect(screen.readyState).toBe('ended');
    const mic = track('audio');
    await adapter.publish('mic', mic);
    await adapter.close();
    await adapter.close();
    expect(mic.readyState).toBe('ended');
    await expect(adapter.connect(session(node))).rejects.toThrow(/closed/);
  });
});
