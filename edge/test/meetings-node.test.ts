// The same meetings flows under Node: createApp().request(path, init, env), with the
// app's Node Postgres pool and the real Upstash client against the gateway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSharedDbs, type NodeDb } from '@huddle/db';
import { createApp } from '../src/app.ts';
import type { EdgeBindings } from '../src/env.ts';
import { testSecrets } from './harness.ts';
import { registerAndLogin, type SignedInUser } from './users-helper.ts';
import { callerFor, countOwned, meetingInput, openPg, testDatabaseUrl, unknownId, type Caller, type Fetcher } from './meetings-fixtures.ts';

const env: EdgeBindings = {
  DATABASE_URL: testDatabaseUrl,
  UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079',
  LOG_LEVEL: 'warn',
  ...testSecrets,
};
const app = createApp();
const node: Fetcher = { fetch: async (path, init) => app.request(path, init, env) };

let pg: NodeDb;
let host: SignedInUser, attendee: SignedInUser;
let asHost: Caller, asAttendee: Caller;

beforeAll(async () => {
  pg = openPg();
  const harnessLike = { ...node, close: async () => {}, logs: () => [] };
  [host, attendee] = (await Promise.all([registerAndLogin(harnessLike), registerAndLogin(harnessLike)])) as [SignedInUser, SignedInUser];
  asHost = callerFor(node, host.accessToken);
  asAttendee = callerFor(node, attendee.accessToken);
});
afterAll(async () => {
  await pg?.close();
  await closeSharedDbs(); // the app's process-wide pool
});

describe('meetings under Node', () => {
  it('create → cached GET → PATCH → GET shows the change', async () => {
    const created = await asHost('POST', '/api/v1/meetings', meetingInput({ invitedUserIds: [attendee.user.id] }));
    expect(created.status).toBe(201);
    expect(created.body.participants).toHaveLength(2);
    const url = `/api/v1/meetings/${created.body.id}`;
    expect((await asAttendee('GET', url)).body).toEqual(created.body);
    expect((await asHost('PATCH', url, { title: 'Node title' })).status).toBe(200);
    expect((await asAttendee('GET', url)).body.title).toBe('Node title');
    expect((await asAttendee('PATCH', url, { title: 'x' })).status).toBe(403);
  });

  it('unknown invitee → 400 naming it, nothing written', async () => {
    const before = await countOwned(pg, host.user.id);
    const ghost = unknownId();
    const reply = await asHost('POST', '/api/v1/meetings', meetingInput({ invitedUserIds: [attendee.user.id, ghost] }));
    expect(reply.status).toBe(400);
    expect(reply.body.error.details).toEqual({ unknownUserIds: [ghost] });
    expect(await countOwned(pg, host.user.id)).toEqual(before);
  });

  it('start, then two concurrent ends: one 200, one 409, one stats row', async () => {
    const created = await asHost('POST', '/api/v1/meetings', meetingInput());
    const url = `/api/v1/meetings/${created.body.id}`;
    expect((await asHost('POST', `${url}/start`)).body.status).toBe('ongoing');
    const replies = await Promise.all([asHost('POST', `${url}/end`), asHost('POST', `${url}/end`)]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
    const [row] = await pg.sql`select count(*)::int as n from meeting_stats where meeting_id = ${created.body.id}`;
    expect(row?.n).toBe(1);
  });
});
