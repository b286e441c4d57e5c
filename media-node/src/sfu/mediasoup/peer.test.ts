// Lifecycle bookkeeping of a participant without a worker. The stand-ins keep
// mediasoup's close contract: closing a transport closes its producers and consumers,
// and every closed object emits `close` on its observer once.
import { EventEmitter } from 'node:events';
import type { types } from 'mediasoup';
import { describe, expect, it } from 'vitest';
import type { RouterEntry } from './meeting-routers.ts';
import { MediasoupPeer } from './peer.ts';

class StandIn {
  readonly id: string;
  readonly observer = new EventEmitter();
  readonly children: StandIn[] = [];
  closed = false;
  constructor(id: string) {
    this.id = id;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const child of this.children) child.close();
    this.observer.emit('close');
  }
}

const router = {} as RouterEntry;
const as = <T>(standIn: StandIn) => standIn as unknown as T;

function peerWithMedia() {
  const peer = new MediasoupPeer({ userId: 'u1', peerId: 'p1', name: 'Ann', role: 'attendee' });
  const send = new StandIn('t-send');
  const recv = new StandIn('t-recv');
  const mic = new StandIn('p-mic');
  const consumer = new StandIn('c-1');
  send.children.push(mic);
  recv.children.push(consumer);
  peer.router = router;
  peer.addTransport({ transport: as<types.WebRtcTransport>(send), direction: 'send', router, connected: true, rtpCapabilities: undefined });
  peer.addTransport({ transport: as<types.WebRtcTransport>(recv), direction: 'recv', router, connected: true, rtpCapabilities: { codecs: [] } });
  peer.sources.add('mic');
  peer.addProducer({ producer: as<types.Producer>(mic), source: 'mic', userId: 'u1', router });
  peer.addConsumer({ consumer: as<types.Consumer>(consumer), source: 'camera', producerUserId: 'u2', transportId: 't-recv' });
  return { peer, send, recv, mic, consumer };
}

describe('MediasoupPeer bookkeeping', () => {
  it('drops a producer and frees its source when the producer closes', () => {
    const { peer, mic } = peerWithMedia();
    expect(peer.producerOf('mic')?.producer.id).toBe('p-mic');
    mic.close();
    expect(peer.producers.size).toBe(0);
    expect(peer.sources.has('mic')).toBe(false);
    expect(peer.producerOf('mic')).toBeUndefined();
    expect(peer.transports.size).toBe(2);
  });

  it('drops a transport with its producers and consumers when the transport closes', () => {
    const { peer, recv, send } = peerWithMedia();
    recv.close();
    expect([...peer.transports.keys()]).toEqual(['t-send']);
    expect(peer.consumers.size).toBe(0);
    expect(peer.recvTransports()).toEqual([]);
    send.close();
    expect(peer.transports.size + peer.producers.size + peer.sources.size).toBe(0);
  });

  it('close() closes every transport (so every producer and consumer), once', () => {
    const { peer, send, recv, mic, consumer } = peerWithMedia();
    let closes = 0;
    for (const standIn of [send, recv, mic, consumer]) standIn.observer.on('close', () => closes++);
    peer.close();
    peer.close();
    expect(peer.closed).toBe(true);
    expect(closes).toBe(4);
    expect([send, recv, mic, consumer].every((s) => s.closed)).toBe(true);
    expect(peer.transports.size + peer.producers.size + peer.consumers.size + peer.sources.size).toBe(0);
    expect(peer.router).toBeUndefined();
  });

  it('closeMedia() empties the peer but keeps it usable (a restart after a worker death)', () => {
    const { peer } = peerWithMedia();
    peer.closeMedia();
    expect(peer.closed).toBe(false);
    expect(peer.transports.size + peer.producers.size + peer.consumers.size + peer.sources.size).toBe(0);
    const again = new StandIn('t-again');
    peer.addTransport({ transport: as<types.WebRtcTransport>(again), direction: 'recv', router, connected: false, rtpCapabilities: { codecs: [] } });
    expect(peer.recvTransports()).toHaveLength(1);
  });
});
