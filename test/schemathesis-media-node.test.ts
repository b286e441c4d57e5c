// Schemathesis against a media node's HTTP endpoints (health, readiness, metrics, chat and
// AI-result history) from the node's own OpenAPI document, with the same checks as the
// edge: no server error, statuses, content types, headers and bodies as documented,
// valid data accepted, invalid data refused, 405 with Allow, auth enforced.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MongoClient } from 'mongodb';
import type { AiTask } from '@huddle/protocol';
import { storeResult } from '../media-node/src/ai/results-store.ts';
import type { MediaNodeServer } from '../media-node/src/server.ts';
import { ChatStore } from '../media-node/src/stores/chat-store.ts';
import { createSuite, mintJoinToken, type SeededMeeting, type Suite } from '../media-node/test/signaling-helpers.ts';
import { ensureSchemathesis, failureReport, maxTimeSeconds, runSchemathesis, seedArgs, summary } from './schemathesis/run.ts';

const seconds = maxTimeSeconds(60);
let st: string;
let suite: Suite;
let node: MediaNodeServer;
let mongo: MongoClient;
let meeting: SeededMeeting;

beforeAll(async () => {
  st = ensureSchemathesis();
  suite = createSuite();
  node = await suite.startNode();
  meeting = await suite.seedMeeting(['host', 'attendee']);
  // History to read back: a few chat messages and one stored AI result.
  mongo = new MongoClient(suite.mongoUrl);
  const chat = await ChatStore.create(mongo.db());
  for (let i = 0; i < 3; i++) {
    await chat.save({ meetingId: meeting.meetingId, userId: meeting.userIds[i % 2]!, text: `message ${i}`, clientMsgId: `m${i}` });
  }
  const task: AiTask = {
    type: 'sentiment',
    meetingId: meeting.meetingId,
    payload: { text: 'A good meeting.' },
    taskId: randomUUID(),
    userId: meeting.userIds[0]!,
    attempt: 1,
    enqueuedAt: new Date().toISOString(),
  };
  await storeResult(mongo.db(), task, { score: 3, comparative: 1, label: 'positive' }, new Date());
}, 600_000);

afterAll(async () => {
  await mongo?.close();
  await suite?.teardown();
});

describe('Schemathesis against a media node', () => {
  it(`finds no server error or contract failure in any documented endpoint (${seconds} s budget)`, async () => {
    // A join token of the host authorises history reads of this meeting (403 for others).
    const token = await mintJoinToken({ userId: meeting.userIds[0]!, meetingId: meeting.meetingId, role: 'host' }, { ttl: seconds + 600 });
    const result = await runSchemathesis({
      name: 'media-node',
      st,
      schemaUrl: `http://127.0.0.1:${node.port}/api/v1/openapi.json`,
      args: [
        '--header', `Authorization: Bearer ${token}`,
        '--request-timeout', '30',
        // One worker: see the edge suite (a CPython 3.11 ast.parse race between worker threads).
        '--workers', '1',
        '--max-examples', '25',
        '--max-time', String(seconds),
        ...seedArgs(),
      ],
      meetingIds: [meeting.meetingId],
      killAfterMs: (seconds + 240) * 1000,
    });
    console.info(summary('media node', result));
    expect(result.exitCode, failureReport(result)).toBe(0);
    expect(result.testCases).toBeGreaterThan(50);
  }, (seconds + 300) * 1000);
});
