// The AI worker pool wired into a media node: a task queued on the stream is processed
// by the node's pool, its result reaches the meeting's connected participants as
// `ai.result`, shows on /metrics, and is readable over HTTP history.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAiWorkerConfig } from '../src/ai/config.ts';
import { enqueueTask } from '../src/ai/enqueue.ts';
import type { MediaNodeServer } from '../src/server.ts';
import { createSuite, mintJoinToken, privateAiQueue, REDIS_URL, TestClient } from './signaling-helpers.ts';

const suite = createSuite();
const keys = privateAiQueue();
let node: MediaNodeServer;
let redis: Redis;

beforeAll(async () => {
  redis = new Redis(REDIS_URL);
  const ai = loadAiWorkerConfig({ ...suite.env, ...keys.env });
  node = await suite.startNode({ ai });
});
afterAll(async () => {
  await suite.teardown();
  await redis.del(keys.stream, keys.dead, keys.delayed);
  redis.disconnect();
});

describe('media node with its AI worker pool', () => {
  it('processes a queued task, pushes ai.result to the room, and serves it as an insight', async () => {
    expect(node.ai).toBeDefined();
    const { meetingId, userIds } = await suite.seedMeeting(['host', 'attendee']);
    const token = await mintJoinToken({ userId: userIds[1]!, meetingId, role: 'attendee' });
    const { client } = await TestClient.join(node, token);

    const queued = await enqueueTask(
      redis,
      { type: 'sentiment', meetingId, payload: { text: 'This was a great, productive meeting. Thank you!' } },
      { userId: userIds[0]!, stream: keys.stream },
    );
    expect(queued.ok).toBe(true);
    const taskId = queued.ok ? queued.taskId : '';

    const pushed = await client.waitFor((f) => f.method === 'ai.result');
    expect(pushed.data).toMatchObject({ meetingId, taskId, analysisType: 'sentiment', results: { label: 'positive' } });

    const base = `http://127.0.0.1:${node.port}/api/v1/meetings/${meetingId}/insights`;
    const history = await fetch(`${base}?type=sentiment`, { headers: { authorization: `Bearer ${token}` } });
    expect(history.status).toBe(200);
    const { items } = (await history.json()) as { items: { taskId: string; analysisType: string }[] };
    expect(items.map((i) => [i.taskId, i.analysisType])).toEqual([[taskId, 'sentiment']]);

    expect((await fetch(base)).status).toBe(401);
    expect((await fetch(`${base}?type=bogus`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(400);

    const metrics = await (await fetch(`http://127.0.0.1:${node.port}/metrics`)).text();
    expect(metrics).toMatch(/huddle_ai_tasks_done_total\{type="sentiment"\} 1/);
    client.close();
  });
});
