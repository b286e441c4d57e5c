// Slow consumers, dead peers and crashed nodes: one bad participant or node never stalls the rest.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaNodeRegistryKeys, parseMediaNodeEntry, redisKeys } from '@huddle/protocol';
import { createSuite, eventually, mintJoinToken, REDIS_URL, TestClient } from './signaling-helpers.ts';

const suite = createSuite();
const redis = new Redis(REDIS_URL);
const children: ChildProcess[] = [];

beforeAll(() => {});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await suite.teardown();
  redis.disconnect();
});

describe('slow consumer', () => {
  it('closes a client that stops reading with 1013 while the others receive everything in order', async () => {
    const node = await suite.startNode({}, { connectionLimits: { sendQueueMax: 256, socketHighWaterBytes: 64 * 1024 } });
    const m = await suite.seedMeeting(['host', 'attendee', 'attendee']);
    const clients = [];
    for (const [i, userId] of m.userIds.entries()) {
      const role = i === 0 ? 'host' : 'attendee';
      clients.push((await TestClient.join(node, await mintJoinToken({ userId, meetingId: m.meetingId, role }))).client);
    }
    const [slow, fast1, fast2] = clients as [TestClient, TestClient, TestClient];
    // Stop reading: the kernel buffers fill, then the socket's, then the node's queue.
    const rawSocket = (slow.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    rawSocket.pause();

    // Enough bytes to fill the paused socket's kernel buffers (loopback autotunes them to
    // several MiB), the node's 64 KiB high-water mark and then its 256-frame queue.
    const total = 800;
    const padding = 'x'.repeat(16 * 1024);
    const channel = redisKeys.meetingEvents(m.meetingId);
    const started = Date.now();
    // Published in batches, each after the fast clients have nearly caught up: they stay
    // far below their own 256-frame queue even on a loaded machine, so the only client
    // that can overflow is the one that stopped reading.
    const batchSize = 50;
    for (let first = 0; first < total; first += batchSize) {
      const batch = redis.pipeline();
      for (let seq = first; seq < Math.min(total, first + batchSize); seq++) {
        batch.publish(channel, JSON.stringify({ type: 'ai.result', meetingId: m.meetingId, seq, padding }));
      }
      await batch.exec();
      const behind = first + batchSize - 2 * batchSize;
      await eventually(() => fast1.notifications('ai.result').length >= behind && fast2.notifications('ai.result').length >= behind, 20_000);
    }

    for (const fast of [fast1, fast2]) {
      await eventually(() => fast.notifications('ai.result').length === total, 30_000);
      expect(fast.notifications('ai.result').map((f) => f.data.seq)).toEqual(Array.from({ length: total }, (_, i) => i));
    }
    const elapsedMs = Date.now() - started;
    // Bounded, not stalled: a slow client that held up the room would keep this from ending at all.
    expect(elapsedMs).toBeLessThan(30_000);
    // The node gave up on the slow one (counted) and it is gone from the room.
    await eventually(async () => /huddle_media_send_queue_drops_total [1-9]/.test(await node.metrics.registry.metrics()), 20_000);
    const left = await fast1.waitFor((f) => f.method === 'participant.left');
    expect(left.data).toEqual({ userId: m.userIds[0], reason: 'disconnected' });
    // Reading again, the slow client finds the close frame behind what was already sent.
    rawSocket.resume();
    expect(await slow.closed).toEqual({ code: 1013, reason: 'slow client: send queue overflow' });
    expect(slow.notifications('ai.result').length).toBeLessThan(total);
    // The others are still connected and served.
    expect((await fast1.request('hand.raise')).ok).toBe(true);
    await fast2.waitFor((f) => f.method === 'participant.updated');
    fast1.close();
    fast2.close();
  }, 60_000);
});

describe('heartbeat', () => {
  it('drops a peer that stops answering pings within two intervals', async () => {
    const pingMs = 300;
    const node = await suite.startNode({ wsPingIntervalMs: pingMs });
    const m = await suite.seedMeeting(['host', 'attendee']);
    const alive = (await TestClient.join(node, await mintJoinToken({ userId: m.userIds[0]!, meetingId: m.meetingId, role: 'host' }))).client;
    const token = await mintJoinToken({ userId: m.userIds[1]!, meetingId: m.meetingId, role: 'attendee' });
    const dead = new TestClient(`ws://127.0.0.1:${node.port}/ws?access_token=${token}`, { autoPong: false });
    await dead.opened;
    expect((await dead.request('join')).ok).toBe(true);
    const joinedAt = Date.now();
    const left = await alive.waitFor((f) => f.method === 'participant.left', 3_000);
    // At most two intervals plus scheduling slack (timers run late on a loaded machine).
    expect(Date.now() - joinedAt).toBeLessThan(2 * pingMs + 500);
    expect(left.data).toEqual({ userId: m.userIds[1], reason: 'disconnected' });
    expect((await dead.closed).code).toBe(1006);
    expect(await node.metrics.registry.metrics()).toMatch(/huddle_media_heartbeat_timeouts_total 1/);
    // A peer that answers stays.
    await new Promise((r) => setTimeout(r, 4 * pingMs));
    expect(alive.ws.readyState).toBe(1);
    alive.close();
  });
});

describe('registry', () => {
  const mainTs = fileURLToPath(new URL('../src/main.ts', import.meta.url));

  function startChild(nodeId: string): ChildProcess {
    const child = spawn(process.execPath, [mainTs], {
      env: {
        ...process.env,
        ...suite.env,
        MEDIA_NODE_ID: nodeId,
        MEDIA_NODE_REGISTRY_INTERVAL_SECONDS: '0.3',
        MEDIA_NODE_REGISTRY_TTL_SECONDS: '1',
        MEDIA_NODE_CAPACITY: '7',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    return child;
  }

  const keys = () => mediaNodeRegistryKeys(suite.registryPrefix);

  it("lets a killed node's entry expire", async () => {
    const nodeId = `killed-${process.pid}`;
    const child = startChild(nodeId);
    const entry = await eventually(async () => parseMediaNodeEntry(await redis.get(keys().entry(nodeId))), 15_000);
    expect(entry).toMatchObject({ nodeId, capacity: 7, connections: 0, rooms: 0, backend: 'mediasoup' });
    expect(await redis.sismember(keys().index, nodeId)).toBe(1);
    // Still there after several TTLs while the node lives: the heartbeat keeps it.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await redis.exists(keys().entry(nodeId))).toBe(1);
    child.kill('SIGKILL');
    const killedAt = Date.now();
    await eventually(async () => (await redis.exists(keys().entry(nodeId))) === 0, 5_000);
    expect(Date.now() - killedAt).toBeLessThan(2_500);
  });

  it('on SIGTERM: room.closing, close 1001, deregistered, exit 0', async () => {
    const nodeId = `graceful-${process.pid}`;
    const child = startChild(nodeId);
    let output = '';
    child.stdout!.on('data', (d) => (output += d.toString()));
    const entry = await eventually(async () => parseMediaNodeEntry(await redis.get(keys().entry(nodeId))), 15_000);
    const port = Number(new URL(entry.url).port);
    const m = await suite.seedMeeting(['host']);
    const token = await mintJoinToken({ userId: m.userIds[0]!, meetingId: m.meetingId, role: 'host' });
    const client = new TestClient(`ws://127.0.0.1:${port}/ws?access_token=${token}`);
    await client.opened;
    expect((await client.request('join')).ok).toBe(true);
    await eventually(async () => parseMediaNodeEntry(await redis.get(keys().entry(nodeId)))?.connections === 1);

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect((await client.waitFor((f) => f.method === 'room.closing')).data).toEqual({ reason: 'node_shutdown' });
    expect(await client.closed).toEqual({ code: 1001, reason: 'media node shutting down' });
    expect(await exited).toBe(0);
    expect(await redis.exists(keys().entry(nodeId))).toBe(0);
    expect(await redis.sismember(keys().index, nodeId)).toBe(0);
    // Structured logs carry the node id.
    expect(output).toContain(`"nodeId":"${nodeId}"`);
  });
});
