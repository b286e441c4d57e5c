// (e) A meeting spread over two workers through pipeToRouter still delivers; (f) kill -9
// of a worker: a replacement starts, the meeting's routers are re-created, peers are
// told `sfu.restart` and media flows again after they rebuild. Needs a worker.
import { afterAll, describe, expect, it } from 'vitest';
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

const runs = workerSuiteRuns('sfu-mediasoup-workers');

describe.runIf(runs)('mediasoup workers', () => {
  const suite = createSuite();
  const sockets = rtpSocketPool();
  afterAll(async () => {
    sockets.closeAll();
    await suite.teardown();
  });

  let twoWorkers: Awaited<ReturnType<typeof startMediasoupNode>> | undefined;
  const twoWorkerNode = async () => {
    twoWorkers ??= await startMediasoupNode(suite, { MEDIASOUP_WORKERS: '2', MEDIASOUP_ROUTER_CONSUMERS_MAX: '1' });
    return twoWorkers;
  };

  it('places each new meeting on the least-loaded worker', async () => {
    const { node, engine } = await twoWorkerNode();
    const first = await suite.seedMeeting(['host']);
    const second = await suite.seedMeeting(['host']);
    const a = await TestClient.join(node, await mintJoinToken({ userId: first.userIds[0]!, meetingId: first.meetingId, role: 'host' }));
    expect(engine.workerTallies().map((t) => t.routers)).toEqual([1, 0]);
    // Worker 0 now carries a router (and the meeting's observers); the next meeting goes to worker 1.
    const b = await TestClient.join(node, await mintJoinToken({ userId: second.userIds[0]!, meetingId: second.meetingId, role: 'host' }));
    expect(engine.workerTallies().map((t) => t.routers)).toEqual([1, 1]);
    a.client.close();
    b.client.close();
    await eventually(() => engine.counts().rooms === 0);
  });

  it('(e) spreads a meeting over two workers once its router passes the consumer threshold, and still delivers', async () => {
    const { node, engine } = await twoWorkerNode();
    const m = await suite.seedMeeting(['host', 'attendee', 'attendee']);
    const [speaker, first, second] = await Promise.all(
      m.userIds.map(async (userId, i) => (await TestClient.join(node, await mintJoinToken({ userId, meetingId: m.meetingId, role: i === 0 ? 'host' : 'attendee' }))).client),
    );
    const sender = await sockets.open();
    const mic = await producePlain(speaker!, { source: 'mic', ssrc: 6001 });
    // The first listener fills the meeting's router (threshold 1 consumer) …
    const firstSocket = await sockets.open();
    await receivePlain(first!, firstSocket);
    await first!.waitFor((f) => f.method === 'sfu.newConsumer');
    expect(engine.workerTallies().filter((t) => t.routers > 0)).toHaveLength(1);
    // … so the second is placed on a router of the other worker, fed through a pipe.
    const secondSocket = await sockets.open();
    await receivePlain(second!, secondSocket);
    const announced = await second!.waitFor((f) => f.method === 'sfu.newConsumer');
    const tallies = engine.workerTallies();
    expect(tallies.map((t) => t.routers > 0)).toEqual([true, true]);
    // Each worker holds a consumer for the second listener's path: the pipe consumer and its own.
    expect(tallies.every((t) => t.consumers >= 1)).toBe(true);

    await resumeAll(first!);
    await resumeAll(second!);
    await audioFlows(sender, mic, 6001, secondSocket);
    await audioFlows(sender, mic, 6001, firstSocket);
    expect(secondSocket.received.get(consumerSsrc(announced))).toBeGreaterThan(0);
    for (const c of [speaker, first, second]) c!.close();
    await eventually(() => engine.counts().rooms === 0);
    expect(engine.workerTallies().every((t) => t.routers === 0 && t.transports === 0 && t.consumers === 0)).toBe(true);
  });

  it('(f) survives kill -9 of its worker: replacement, sfu.restart, media again after the rebuild', async () => {
    const { node, engine } = await startMediasoupNode(suite);
    const m = await suite.seedMeeting(['host', 'attendee']);
    const [alice, bob] = await Promise.all(
      m.userIds.map(async (userId, i) => (await TestClient.join(node, await mintJoinToken({ userId, meetingId: m.meetingId, role: i === 0 ? 'host' : 'attendee' }))).client),
    );
    const sender = await sockets.open();
    const receiver = await sockets.open();
    const mic = await producePlain(alice!, { source: 'mic', ssrc: 8001 });
    await receivePlain(bob!, receiver);
    await bob!.waitFor((f) => f.method === 'sfu.newConsumer');
    await resumeAll(bob!);
    await audioFlows(sender, mic, 8001, receiver);

    const [pid] = engine.workerPids();
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');

    // Both participants are told to rebuild; the node keeps running with a new worker.
    const restartA = await alice!.waitFor((f) => f.method === 'sfu.restart', 15_000);
    const restartB = await bob!.waitFor((f) => f.method === 'sfu.restart', 15_000);
    expect(restartA.data).toEqual({ reason: 'worker_died' });
    expect(restartB.data).toEqual({ reason: 'worker_died' });
    await eventually(() => engine.available && engine.workerPids()[0] !== undefined && engine.workerPids()[0] !== pid, 15_000);
    // The media state followed the closed producer.
    await bob!.waitFor((f) => f.method === 'participant.updated' && f.data.participant.userId === m.userIds[0] && f.data.participant.media.audio === false);
    const metrics = await (await fetch(`http://127.0.0.1:${node.port}/metrics`)).text();
    expect(metrics).toMatch(/^huddle_media_sfu_worker_deaths_total 1$/m);
    expect(metrics).toMatch(/^huddle_media_sfu_workers 1$/m);

    // Rebuild as a client does after sfu.restart: capabilities, transports, produce again.
    const consumersBefore = bob!.notifications('sfu.newConsumer').length;
    const sender2 = await sockets.open();
    const receiver2 = await sockets.open();
    const mic2 = await producePlain(alice!, { source: 'mic', ssrc: 8002 });
    await receivePlain(bob!, receiver2);
    await eventually(() => bob!.notifications('sfu.newConsumer').length > consumersBefore);
    const renewed = bob!.notifications('sfu.newConsumer').at(-1)!;
    expect(renewed.data.producerId).toBe(mic2.producerId);
    expect(await bob!.request('sfu.resumeConsumer', { consumerId: renewed.data.consumerId })).toMatchObject({ ok: true });
    await audioFlows(sender2, mic2, 8002, receiver2);
    expect(receiver2.received.get(consumerSsrc(renewed))).toBeGreaterThan(0);
    for (const c of [alice, bob]) c!.close();
  });
});
