// The mediasoup engine through the real signaling socket, with RTP from Node over UDP on
// 127.0.0.1: media flows between participants, late joiners, host mute, lifecycle,
// speaker events. Needs a worker (MEDIASOUP_WORKER_BIN); prints one skip line without.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediasoupEngine } from '../src/sfu/mediasoup/engine.ts';
import type { MediaNodeServer } from '../src/server.ts';
import {
  audioFlows,
  consumerSsrc,
  producePlain,
  rtpSocketPool,
  receivePlain,
  resumeAll,
  startMediasoupNode,
  workerSuiteRuns,
} from './sfu-mediasoup-helpers.ts';
import { createSuite, eventually, mintJoinToken, TestClient } from './signaling-helpers.ts';

const runs = workerSuiteRuns('sfu-mediasoup');

describe.runIf(runs)('mediasoup engine through signaling', () => {
  const suite = createSuite();
  const sockets = rtpSocketPool();
  const opened: TestClient[] = [];
  let node: MediaNodeServer;
  let engine: MediasoupEngine;

  beforeAll(async () => {
    ({ node, engine } = await startMediasoupNode(suite));
  });
  afterAll(async () => {
    sockets.closeAll();
    await suite.teardown();
  });


  async function meeting(roles: ('host' | 'cohost' | 'attendee')[]) {
    const m = await suite.seedMeeting(roles);
    const clients = [];
    for (const [i, userId] of m.userIds.entries()) {
      clients.push(await TestClient.join(node, await mintJoinToken({ userId, meetingId: m.meetingId, role: roles[i]! })));
    }
    opened.push(...clients.map((c) => c.client));
    return { ...m, clients: clients.map((c) => c.client), joined: clients.map((c) => c.joined) };
  }

  /** Waits until the engine holds exactly these objects (closing is asynchronous inside the worker). */
  async function countsBecome(expected: ReturnType<MediasoupEngine['counts']>): Promise<void> {
    await eventually(() => JSON.stringify(engine.counts()) === JSON.stringify(expected), 10_000).catch(() => {
      expect(engine.counts()).toEqual(expected);
    });
  }

  async function join(meetingId: string, userId: string, role: 'host' | 'attendee'): Promise<TestClient> {
    const { client } = await TestClient.join(node, await mintJoinToken({ userId, meetingId, role }));
    opened.push(client);
    return client;
  }

  it('(a) carries Opus RTP from one participant to another over plain transports, with speaker events', async () => {
    const { userIds, clients, joined } = await meeting(['host', 'attendee']);
    const [alice, bob] = clients as [TestClient, TestClient];
    expect(joined[0]!.data.media).toEqual({ backend: 'mediasoup', available: true });

    const sender = await sockets.open();
    const receiver = await sockets.open();
    const mic = await producePlain(alice, { source: 'mic', ssrc: 1111 });
    // The participant's media state follows its producer.
    const updated = await bob.waitFor((f) => f.method === 'participant.updated' && f.data.participant.userId === userIds[0]);
    expect(updated.data.participant.media).toMatchObject({ audio: true });

    const recv = await receivePlain(bob, receiver);
    const announced = await bob.waitFor((f) => f.method === 'sfu.newConsumer');
    expect(announced.data).toMatchObject({
      producerId: mic.producerId,
      transportId: recv.transportId,
      userId: userIds[0],
      source: 'mic',
      kind: 'audio',
      type: 'simple',
      producerPaused: false,
    });
    // Paused until the client resumes it: nothing arrives yet.
    await sender.sendAudio(mic, 1111, 10, 2);
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.total).toBe(0);

    await resumeAll(bob);
    await audioFlows(sender, mic, 1111, receiver);
    const ssrc = consumerSsrc(announced);
    expect(receiver.received.get(ssrc)).toBeGreaterThanOrEqual(20);
    expect(receiver.payloadTypes.get(ssrc)).toBe(announced.data.rtpParameters.codecs[0].payloadType);
    // Alice does not receive her own audio.
    expect(alice.notifications('sfu.newConsumer')).toHaveLength(0);

    // The audio level extension drives the observers: Alice is the active speaker.
    const speaker = await eventually(async () => {
      await sender.sendAudio(mic, 1111, 25, 4, 15);
      return bob.notifications('speaker.active').find((n) => n.data.userId === userIds[0]);
    }, 10_000);
    expect(speaker.data).toEqual({ userId: userIds[0] });
    const levels = await bob.waitFor((f) => f.method === 'speaker.levels' && f.data.levels.some((l: any) => l.userId === userIds[0]));
    expect(levels.data.levels.find((l: any) => l.userId === userIds[0]).volume).toBeLessThan(0);
  });

  it('(b) announces every existing producer to a late joiner, and later producers to everyone', async () => {
    const m = await suite.seedMeeting(['host', 'attendee', 'attendee']);
    const host = await join(m.meetingId, m.userIds[0]!, 'host');
    const early = await join(m.meetingId, m.userIds[1]!, 'attendee');
    await receivePlain(early, await sockets.open());
    const mic = await producePlain(host, { source: 'mic', ssrc: 2001 });
    const camera = await producePlain(host, { source: 'camera', ssrc: 2002 });
    await eventually(() => early.notifications('sfu.newConsumer').length === 2);

    const late = await join(m.meetingId, m.userIds[2]!, 'attendee');
    await receivePlain(late, await sockets.open());
    await eventually(() => late.notifications('sfu.newConsumer').length === 2);
    const seen = late.notifications('sfu.newConsumer').map((n) => [n.data.producerId, n.data.source, n.data.kind, n.data.userId]);
    expect(seen).toEqual(
      expect.arrayContaining([
        [mic.producerId, 'mic', 'audio', m.userIds[0]],
        [camera.producerId, 'camera', 'video', m.userIds[0]],
      ]),
    );

    // A producer created after both joined reaches both; its owner gets none of its own.
    const earlyMic = await producePlain(early, { source: 'mic', ssrc: 2003 });
    await eventually(() => late.notifications('sfu.newConsumer').some((n) => n.data.producerId === earlyMic.producerId));
    expect(early.notifications('sfu.newConsumer').some((n) => n.data.producerId === earlyMic.producerId)).toBe(false);
    // The host has no receiving transport: it is not sent consumers.
    expect(host.notifications('sfu.newConsumer')).toHaveLength(0);
  });

  it('(c) host.mute pauses the microphone on the server: its owner is told, consumers see it paused, packets stop', async () => {
    const { userIds, clients } = await meeting(['host', 'attendee']);
    const [host, guest] = clients as [TestClient, TestClient];
    const sender = await sockets.open();
    const receiver = await sockets.open();
    const mic = await producePlain(guest, { source: 'mic', ssrc: 3001 });
    await receivePlain(host, receiver);
    const announced = await host.waitFor((f) => f.method === 'sfu.newConsumer');
    await resumeAll(host);
    await audioFlows(sender, mic, 3001, receiver);

    const muted = await host.request('host.mute', { userId: userIds[1] });
    expect(muted).toMatchObject({ ok: true });
    const told = await guest.waitFor((f) => f.method === 'sfu.producerPaused');
    expect(told.data).toEqual({ producerId: mic.producerId, source: 'mic', byUserId: userIds[0] });
    const paused = await host.waitFor((f) => f.method === 'sfu.consumerPaused');
    expect(paused.data).toEqual({ consumerId: announced.data.consumerId });
    const state = await host.waitFor((f) => f.method === 'participant.updated' && f.data.participant.userId === userIds[1] && !f.data.participant.media.audio);
    expect(state.data.participant.media.audio).toBe(false);

    // A paused producer forwards nothing.
    await new Promise((r) => setTimeout(r, 100));
    const before = receiver.total;
    await sender.sendAudio(mic, 3001, 20, 2);
    await new Promise((r) => setTimeout(r, 150));
    expect(receiver.total).toBe(before);

    // The owner may unmute: consumers resume.
    expect(await guest.request('sfu.resumeProducer', { producerId: mic.producerId })).toMatchObject({ ok: true });
    await host.waitFor((f) => f.method === 'sfu.consumerResumed');
    await audioFlows(sender, mic, 3001, receiver);
  });

  it('simulcast: a consumer forwards the layer the receiver prefers (sfu.setPreferredLayers), and says so', async () => {
    const { clients } = await meeting(['host', 'attendee']);
    const [sender, viewer] = clients as [TestClient, TestClient];
    const created = await sender.request('sfu.createTransport', { direction: 'send', type: 'plain', comedia: true });
    const to = { ip: created.data.ip as string, port: created.data.port as number };
    const ssrcs = [9101, 9102, 9103]; // low, medium, high
    const produced = await sender.request('sfu.produce', {
      transportId: created.data.transportId,
      kind: 'video',
      source: 'camera',
      rtpParameters: { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90_000 }], encodings: ssrcs.map((ssrc) => ({ ssrc })) },
    });
    expect(produced).toMatchObject({ ok: true });
    const receiver = await sockets.open();
    await receivePlain(viewer, receiver);
    const announced = await viewer.waitFor((f) => f.method === 'sfu.newConsumer');
    expect(announced.data).toMatchObject({ type: 'simulcast', kind: 'video', source: 'camera' });
    await resumeAll(viewer);

    const source = await sockets.open();
    let frame = 0;
    const sendFrames = async (count: number) => {
      for (let i = 0; i < count; i++, frame++) {
        for (const ssrc of ssrcs) source.sendVp8Frame(to, ssrc, frame * 3000, frame % 10 === 0);
        // Sender reports let the SFU line the layers up in time, which it needs to switch between them.
        if (frame % 10 === 0) for (const ssrc of ssrcs) source.sendSenderReport(to, ssrc, frame * 3000);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const layers = (spatialLayer: number) =>
      viewer.notifications('sfu.consumerLayersChanged').some((n) => n.data.consumerId === announced.data.consumerId && n.data.layers?.spatialLayer === spatialLayer);
    // Without a bandwidth estimate limiting it (plain RTP has none) the consumer climbs to the highest layer …
    await eventually(async () => {
      await sendFrames(20);
      return layers(2);
    }, 15_000);
    expect(receiver.received.get(consumerSsrc(announced))).toBeGreaterThan(0);
    // … and moves to the lowest when the receiver asks for it (a small tile).
    expect(await viewer.request('sfu.setPreferredLayers', { consumerId: announced.data.consumerId, spatialLayer: 0 })).toMatchObject({ ok: true });
    await eventually(async () => {
      await sendFrames(20);
      return layers(0);
    }, 15_000);
  });

  it('(d) leave, remove and endForAll leave no transports, producers or consumers behind', async () => {
    // Earlier tests' rooms close once their sockets go: start from an idle engine.
    for (const client of opened.splice(0)) client.close();
    await countsBecome({ rooms: 0, transports: 0, producers: 0, consumers: 0 });

    const { meetingId, userIds, clients } = await meeting(['host', 'attendee', 'attendee']);
    const [host, leaver, removed] = clients as [TestClient, TestClient, TestClient];
    for (const [i, client] of clients.entries()) {
      await receivePlain(client, await sockets.open());
      await producePlain(client, { source: 'mic', ssrc: 4000 + i });
    }
    // Three participants: 2 transports each, one microphone each, each consuming the other two.
    await countsBecome({ rooms: 1, transports: 6, producers: 3, consumers: 6 });

    expect(await leaver.request('leave')).toMatchObject({ ok: true });
    await countsBecome({ rooms: 1, transports: 4, producers: 2, consumers: 2 });
    await host.waitFor((f) => f.method === 'sfu.consumerClosed' && f.data.reason === 'producer_closed');

    expect(await host.request('host.remove', { userId: userIds[2] })).toMatchObject({ ok: true });
    await removed.closed;
    await countsBecome({ rooms: 1, transports: 2, producers: 1, consumers: 0 });

    expect(await host.request('host.endForAll')).toMatchObject({ ok: true });
    await host.closed;
    await countsBecome({ rooms: 0, transports: 0, producers: 0, consumers: 0 });
    expect(node.media.room(meetingId)).toBeUndefined();
  });

  it('reports its workers and objects on /metrics', async () => {
    const { clients } = await meeting(['host', 'attendee']);
    const sender = await sockets.open();
    const receiver = await sockets.open();
    const mic = await producePlain(clients[0]!, { source: 'mic', ssrc: 5001 });
    await receivePlain(clients[1]!, receiver);
    await clients[1]!.waitFor((f) => f.method === 'sfu.newConsumer');
    await resumeAll(clients[1]!);
    await audioFlows(sender, mic, 5001, receiver);
    const metric = (text: string, name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    const text = await eventually(async () => {
      const body = await (await fetch(`http://127.0.0.1:${node.port}/metrics`)).text();
      return metric(body, 'huddle_media_sfu_rtp_bytes_sent_total') > 0 ? body : undefined;
    }, 10_000);
    expect(metric(text, 'huddle_media_sfu_workers')).toBe(1);
    expect(metric(text, 'huddle_media_sfu_routers')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'huddle_media_sfu_transports')).toBeGreaterThanOrEqual(2);
    expect(metric(text, 'huddle_media_sfu_producers')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'huddle_media_sfu_consumers')).toBeGreaterThanOrEqual(1);
    expect(metric(text, 'huddle_media_sfu_rtp_bytes_received_total')).toBeGreaterThan(0);
    expect(text).toMatch(/^huddle_media_sfu_worker_cpu_percent\{worker="0"\} \S+$/m);
    for (const c of clients) c.close();
  });
});
