// The running system for issue 12's cases: the edge Worker in workerd (wrangler's test
// harness) and media nodes in this process, on the local PostgreSQL, Redis (through the
// Upstash-compatible gateway for the edge), and FerretDB — one key pair and JWT secret
// for both, and a private media node registry, so the edge places meetings on these
// nodes only. Users sign up and in through the edge: their sessions are real.
import { Redis } from 'ioredis';
import { meetingParticipants, type NodeDb } from '@huddle/db';
import { and, eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll } from 'vitest';
import { startEdge, type EdgeUnderTest } from '../../edge/test/harness.ts';
import { authHeaders, postJson, registerAndLogin, testClientIp, type SignedInUser } from '../../edge/test/users-helper.ts';
import {
  createSuite,
  JWT_SECRET,
  LIVEKIT_API_KEY,
  LIVEKIT_API_SECRET,
  REDIS_URL,
  TestClient,
  type Suite,
} from '../../media-node/test/signaling-helpers.ts';
import type { MediaNodeServer } from '../../media-node/src/server.ts';
import type { SfuRoom, SfuRoomEvents } from '../../media-node/src/sfu/engine.ts';
import { TapEngine } from '../../media-node/test/tap-engine.ts';

/**
 * The SFU of these nodes: the captions suites' media-less engine (WebRTC is not what these
 * cases are about, and the edge places meetings only on nodes whose SFU is available),
 * noting whom the signaling layer asked it to drop (SfuRoom.removeParticipant — on LiveKit
 * the call that takes a participant out of the LiveKit room).
 */
class RecordingEngine extends TapEngine {
  /** `meetingId:userId` of every removeParticipant call, in order. */
  readonly removed: string[] = [];

  override async openRoom(meetingId: string, events: SfuRoomEvents): Promise<SfuRoom> {
    const room = await super.openRoom(meetingId, events);
    const removed = this.removed;
    return new Proxy(room, {
      get(target, property, receiver) {
        if (property !== 'removeParticipant') return Reflect.get(target, property, receiver);
        return async (userId: string) => {
          removed.push(`${meetingId}:${userId}`);
        };
      },
    });
  }
}

export interface Stack {
  edge: EdgeUnderTest;
  suite: Suite;
  nodes: MediaNodeServer[];
  /** Every node's SFU: whom it was asked to drop (`meetingId:userId`). */
  sfuRemovals(): string[];
  /** Postgres for checks. */
  pg: NodeDb;
  /** TCP Redis for checks and hand-made events. */
  redis: Redis;
  close(): Promise<void>;
}

/** Starts the edge and `nodeCount` media nodes sharing one registry. */
export async function startStack(options: { nodeCount?: number; accessSweepIntervalMs?: number } = {}): Promise<Stack> {
  const suite = createSuite();
  const nodes: MediaNodeServer[] = [];
  const engines: RecordingEngine[] = [];
  for (let i = 0; i < (options.nodeCount ?? 1); i++) {
    const engine = new RecordingEngine();
    engines.push(engine);
    nodes.push(
      await suite.startNode(
        options.accessSweepIntervalMs ? { accessSweepIntervalMs: options.accessSweepIntervalMs } : {},
        { sfuEngine: engine },
      ),
    );
  }
  const edge = await startEdge({
    vars: { MEDIA_NODE_REGISTRY_PREFIX: suite.registryPrefix },
    secrets: { JWT_SECRET, LIVEKIT_API_KEY, LIVEKIT_API_SECRET },
  });
  const redis = new Redis(REDIS_URL);
  return {
    edge,
    suite,
    nodes,
    sfuRemovals: () => engines.flatMap((engine) => engine.removed),
    pg: suite.db,
    redis,
    async close() {
      await edge.close();
      redis.disconnect();
      await suite.teardown();
    },
  };
}

/** JSON request as a signed-in user; resolves with status and parsed body. */
export async function api<T = any>(
  stack: Stack,
  who: SignedInUser,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await stack.edge.fetch(`/api/v1${path}`, {
    method,
    headers: authHeaders(who.accessToken),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

/** A new user, registered and signed in through the edge. */
export const signUp = (stack: Stack): Promise<SignedInUser> => registerAndLogin(stack.edge);

/** Signs the user in again: a second, independent session. */
export async function signInAgain(stack: Stack, who: SignedInUser): Promise<SignedInUser> {
  const response = await stack.edge.fetch(
    '/api/v1/auth/login',
    postJson({ login: who.user.username, password: who.password }, { 'cf-connecting-ip': testClientIp() }),
  );
  const body = (await response.json()) as { accessToken: string; refreshToken: string };
  if (response.status !== 200) throw new Error(`login failed: ${JSON.stringify(body)}`);
  return { ...who, accessToken: body.accessToken, refreshToken: body.refreshToken };
}

/** A meeting of `host` with `invitees`, started (ongoing) through the edge. */
export async function ongoingMeeting(stack: Stack, host: SignedInUser, invitees: SignedInUser[]): Promise<string> {
  const created = await api(stack, host, 'POST', '/meetings', {
    title: 'Hardening',
    startTime: new Date(Date.now() + 60_000).toISOString(),
    duration: 30,
    invitedUserIds: invitees.map((i) => i.user.id),
  });
  if (created.status !== 201) throw new Error(`create failed: ${JSON.stringify(created.body)}`);
  const started = await api(stack, host, 'POST', `/meetings/${created.body.id}/start`);
  if (started.status !== 200) throw new Error(`start failed: ${JSON.stringify(started.body)}`);
  return created.body.id as string;
}

/** `POST /meetings/{id}/join` as `who`: the node URL and the join token. */
export async function joinGrant(stack: Stack, who: SignedInUser, meetingId: string): Promise<{ url: string; token: string }> {
  const grant = await api(stack, who, 'POST', `/meetings/${meetingId}/join`);
  if (grant.status !== 200) throw new Error(`join failed: ${grant.status} ${JSON.stringify(grant.body)}`);
  return grant.body;
}

/** Opens a signaling socket to `node` with `token` (not joined yet). */
export async function openSocket(node: MediaNodeServer, token: string): Promise<TestClient> {
  const client = new TestClient(`ws://127.0.0.1:${node.port}/ws?access_token=${encodeURIComponent(token)}`);
  await client.opened;
  return client;
}

/** Opens a socket and sends `join`; throws unless it succeeds. */
export async function joinRoom(node: MediaNodeServer, token: string): Promise<TestClient> {
  const client = await openSocket(node, token);
  const joined = await client.request('join');
  if (!joined.ok) throw new Error(`join refused: ${JSON.stringify(joined)}`);
  return client;
}

/** The close a socket gets, or `open` if it is still open after `ms`. */
export async function closeOf(client: TestClient, ms = 5_000): Promise<{ code: number; reason: string } | 'open'> {
  return Promise.race([client.closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), ms))]);
}

/**
 * Changes participant rows straight in Postgres — a write no event announces (what the
 * nodes would see if a pub/sub message were lost), or a role the API cannot set.
 */
export async function setParticipants(
  stack: Stack,
  meetingId: string,
  userIds: string[],
  fields: Partial<Pick<typeof meetingParticipants.$inferInsert, 'status' | 'role'>>,
): Promise<void> {
  await stack.pg.db
    .update(meetingParticipants)
    .set(fields)
    .where(and(eq(meetingParticipants.meetingId, meetingId), inArray(meetingParticipants.userId, userIds)));
}

/**
 * The stack for one test file: started in beforeAll, closed in afterAll. Read its
 * fields inside tests (they are set once beforeAll ran).
 */
export function stackForFile(options: { nodeCount?: number } = {}): { readonly stack: Stack; node(i: number): MediaNodeServer } {
  let current: Stack | undefined;
  beforeAll(async () => {
    current = await startStack(options);
  });
  afterAll(() => current?.close());
  const get = (): Stack => {
    if (!current) throw new Error('the stack is not started yet (use it inside tests)');
    return current;
  };
  return {
    get stack() {
      return get();
    },
    node: (i) => get().nodes[i]!,
  };
}

/** The participant row's status in Postgres. */
export async function participantStatus(stack: Stack, meetingId: string, userId: string): Promise<string | undefined> {
  const [row] = await stack.pg.db
    .select({ status: meetingParticipants.status })
    .from(meetingParticipants)
    .where(and(eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.userId, userId)));
  return row?.status;
}

/** GET {node}/api/v1/meetings/{id}/chat with a bearer token: the status. */
export async function historyStatus(node: MediaNodeServer, meetingId: string, token: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${node.port}/api/v1/meetings/${meetingId}/chat`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await response.body?.cancel();
  return response.status;
}
