// (g) Bad SFU input on a node with a mediasoup worker: every case is an error response,
// the socket stays open, nothing changes. Needs a worker (MEDIASOUP_WORKER_BIN).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediasoupEngine } from '../src/sfu/mediasoup/engine.ts';
import type { MediaNodeServer } from '../src/server.ts';
import { opusParameters, producePlain, receivePlain, rtpSocketPool, startMediasoupNode, workerSuiteRuns } from './sfu-mediasoup-helpers.ts';
import { createSuite, eventually, mintJoinToken, TestClient } from './signaling-helpers.ts';

const runs = workerSuiteRuns('sfu-mediasoup-bad-input');

describe.runIf(runs)('bad SFU input (mediasoup)', () => {
  const suite = createSuite();
  let node: MediaNodeServer;
  let engine: MediasoupEngine;
  let strictNode: MediaNodeServer;
  const sockets = rtpSocketPool();

  beforeAll(async () => {
    ({ node, engine } = await startMediasoupNode(suite));
    // The production default: no plain transports through signaling.
    ({ node: strictNode } = await startMediasoupNode(suite, { MEDIASOUP_ALLOW_PLAIN_TRANSPORTS: 'false' }));
  });
  afterAll(async () => {
    sockets.closeAll();
    await suite.teardown();
  });

  it('answers every bad request with an error, keeps the socket open and changes nothing', async () => {
    const m = await suite.seedMeeting(['host', 'attendee']);
    const other = await suite.seedMeeting(['host']);
    const join = async (meetingId: string, userId: string, role: 'host' | 'attendee') =>
      (await TestClient.join(node, await mintJoinToken({ userId, meetingId, role }))).client;
    const alice = await join(m.meetingId, m.userIds[0]!, 'host');
    const bob = await join(m.meetingId, m.userIds[1]!, 'attendee');
    const stranger = await join(other.meetingId, other.userIds[0]!, 'host');

    // Real objects to point at: Alice's microphone and Bob's consumer of it; a producer in another meeting.
    const receiver = await sockets.open();
    const aliceMic = await producePlain(alice, { source: 'mic', ssrc: 7001 });
    const bobRecv = await receivePlain(bob, receiver);
    const bobConsumer = await bob.waitFor((f) => f.method === 'sfu.newConsumer');
    const strangerMic = await producePlain(stranger, { source: 'mic', ssrc: 7002 });
    const webrtc = await alice.request('sfu.createTransport', { direction: 'send' });
    expect(webrtc).toMatchObject({ ok: true, data: { type: 'webrtc' } });
    const webrtcId = webrtc.data.transportId as string;
    await eventually(() => engine.counts().consumers === 1);
    const before = engine.counts();

    const cases: [TestClient, string, unknown, string][] = [
      // Unknown ids.
      [alice, 'sfu.connectTransport', { transportId: 'no-such-transport', ip: '127.0.0.1', port: 9 }, 'not_found'],
      [alice, 'sfu.closeProducer', { producerId: 'no-such-producer' }, 'not_found'],
      [bob, 'sfu.resumeConsumer', { consumerId: 'no-such-consumer' }, 'not_found'],
      [alice, 'sfu.restartIce', { transportId: 'no-such-transport' }, 'not_found'],
      // Another participant's ids.
      [bob, 'sfu.closeProducer', { producerId: aliceMic.producerId }, 'forbidden'],
      [bob, 'sfu.pauseProducer', { producerId: aliceMic.producerId }, 'forbidden'],
      [alice, 'sfu.resumeConsumer', { consumerId: bobConsumer.data.consumerId }, 'forbidden'],
      [alice, 'sfu.setPreferredLayers', { consumerId: bobConsumer.data.consumerId, spatialLayer: 0 }, 'forbidden'],
      [bob, 'sfu.produce', { transportId: aliceMic.transportId, kind: 'audio', rtpParameters: opusParameters(1), source: 'mic' }, 'forbidden'],
      // Another meeting's ids (and consuming its producer) are unknown here.
      [alice, 'sfu.closeProducer', { producerId: strangerMic.producerId }, 'not_found'],
      [bob, 'sfu.resumeConsumer', { consumerId: strangerMic.producerId }, 'not_found'],
      [alice, 'sfu.produce', { transportId: strangerMic.transportId, kind: 'audio', rtpParameters: opusParameters(1), source: 'mic' }, 'not_found'],
      // rtpParameters the router cannot take.
      [
        alice,
        'sfu.produce',
        { transportId: aliceMic.transportId, kind: 'video', rtpParameters: { codecs: [{ mimeType: 'video/H265', payloadType: 99, clockRate: 90000 }], encodings: [{ ssrc: 5 }] }, source: 'camera' },
        'bad_request',
      ],
      // A source's kind is fixed.
      [alice, 'sfu.produce', { transportId: aliceMic.transportId, kind: 'video', rtpParameters: opusParameters(9), source: 'mic' }, 'bad_request'],
      // A second producer for the same source.
      [alice, 'sfu.produce', { transportId: aliceMic.transportId, kind: 'audio', rtpParameters: opusParameters(7003), source: 'mic' }, 'conflict'],
      // Produce before connect (a WebRTC transport without DTLS parameters yet).
      [alice, 'sfu.produce', { transportId: webrtcId, kind: 'audio', rtpParameters: opusParameters(7004), source: 'screenAudio' }, 'conflict'],
      // Producing on a receiving transport.
      [bob, 'sfu.produce', { transportId: bobRecv.transportId, kind: 'audio', rtpParameters: opusParameters(7005), source: 'mic' }, 'bad_request'],
      // Connecting with the other transport type's parameters, or twice.
      [alice, 'sfu.connectTransport', { transportId: webrtcId, ip: '127.0.0.1', port: 9 }, 'bad_request'],
      [bob, 'sfu.connectTransport', { transportId: bobRecv.transportId, ip: '127.0.0.1', port: 9 }, 'conflict'],
      [alice, 'sfu.restartIce', { transportId: aliceMic.transportId }, 'bad_request'],
      // A device description the SFU cannot use.
      [bob, 'sfu.createTransport', { direction: 'recv', rtpCapabilities: { codecs: [{ kind: 'video', mimeType: 'video/rtx', clockRate: 90000, parameters: { apt: 'x' } }] } }, 'bad_request'],
      // Shapes the protocol refuses.
      [alice, 'sfu.createTransport', { direction: 'recv' }, 'bad_request'],
      [alice, 'sfu.produce', { transportId: webrtcId, kind: 'audio', rtpParameters: { codecs: [] }, source: 'mic' }, 'bad_request'],
      [alice, 'sfu.setConsumerPriority', { consumerId: 'x', priority: 0 }, 'bad_request'],
    ];
    for (const [client, method, data, code] of cases) {
      const response = await client.request(method, data);
      expect({ method, data, response }).toMatchObject({ response: { ok: false, error: { code } } });
      expect(JSON.stringify(response)).not.toMatch(/\n\s+at /); // never a stack trace
    }
    // Nothing changed: the same objects; no consumer of the other meeting's producer reached this meeting.
    expect(engine.counts()).toEqual(before);
    expect(bob.notifications('sfu.newConsumer').map((n) => n.data.producerId)).toEqual([aliceMic.producerId]);
    expect(stranger.notifications('sfu.newConsumer')).toHaveLength(0);
    // The sockets are still open and working.
    expect(await alice.request('sfu.getRouterRtpCapabilities')).toMatchObject({ ok: true });
    expect(await bob.request('sfu.resumeConsumer', { consumerId: bobConsumer.data.consumerId })).toMatchObject({ ok: true });
    for (const c of [alice, bob, stranger]) c.close();
  });

  it('refuses SFU requests before join', async () => {
    const m = await suite.seedMeeting(['host']);
    const client = await TestClient.connect(node, await mintJoinToken({ userId: m.userIds[0]!, meetingId: m.meetingId, role: 'host' }));
    expect(await client.request('sfu.getRouterRtpCapabilities')).toMatchObject({ ok: false, error: { code: 'not_joined' } });
    expect(await client.request('sfu.createTransport', { direction: 'send' })).toMatchObject({ ok: false, error: { code: 'not_joined' } });
    expect(await client.request('join')).toMatchObject({ ok: true });
    expect(await client.request('sfu.getRouterRtpCapabilities')).toMatchObject({ ok: true });
    client.close();
  });

  it('refuses plain transports unless the node allows them (MEDIASOUP_ALLOW_PLAIN_TRANSPORTS)', async () => {
    const m = await suite.seedMeeting(['host']);
    const { client } = await TestClient.join(strictNode, await mintJoinToken({ userId: m.userIds[0]!, meetingId: m.meetingId, role: 'host' }));
    expect(await client.request('sfu.createTransport', { direction: 'send', type: 'plain' })).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await client.request('sfu.createTransport', { direction: 'send' })).toMatchObject({ ok: true, data: { type: 'webrtc' } });
    client.close();
  });
});
