// Test helpers for the signaling suites: real media nodes (in-process), real Postgres
// (huddle_test, rows seeded with drizzle and deleted after), a throwaway MongoDB database,
// a private registry prefix in Redis, and real `ws` clients.
import { randomBytes, randomUUID } from 'node:crypto';
import { and, eq, inArray } from 'drizzle-orm';
import { Redis } from 'ioredis';
import { AccessToken } from 'livekit-server-sdk';
import { MongoClient } from 'mongodb';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import { createNodeDb, meetingParticipants, meetings, users, type NodeDb, type ParticipantRole } from '@huddle/db';
import { mediaNodeRegistryKeys, meetingRoomName, redisKeys, type JoinTokenAttributes } from '@huddle/protocol';
import { loadConfig, type MediaNodeConfig } from '../src/config.ts';
import { MediaNodeServer, type MediaNodeOptions } from '../src/server.ts';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://huddle:huddle@127.0.0.1:5432/huddle_test';
export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const MONGO_BASE = process.env.MONGODB_URL || 'mongodb://127.0.0.1:27017/huddle';

export const LIVEKIT_API_KEY = 'huddle-test-key';
export const LIVEKIT_API_SECRET = 'huddle-test-livekit-secret-0123456789abcdef';
export const JWT_SECRET = 'huddle-test-jwt-secret-0123456789abcdefghij';

/** Shared per test file: a Mongo database name and a registry prefix of its own. */
export interface Suite {
  db: NodeDb;
  mongoUrl: string;
  registryPrefix: string;
  /** Environment a node child process needs. */
  env: Record<string, string>;
  nodes: MediaNodeServer[];
  startNode(overrides?: Partial<MediaNodeConfig>, options?: MediaNodeOptions): Promise<MediaNodeServer>;
  seedMeeting(roles: ParticipantRole[], status?: 'scheduled' | 'ongoing' | 'ended' | 'cancelled'): Promise<SeededMeeting>;
  teardown(): Promise<void>;
}

export interface SeededMeeting {
  meetingId: string;
  /** User ids in the order of the roles given. */
  userIds: string[];
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A private AI task queue for one suite (privateAiQueue). */
export interface PrivateAiQueue {
  stream: string;
  dead: string;
  delayed: string;
  /** Points a node's AI pool at this queue: 2 tasks at a time, one CPU thread. */
  env: Record<string, string>;
}

/**
 * A private AI task queue under `test:{random}:ai:…` (stream, dead letters, delayed
 * retries), so suites running at once never take each other's tasks. Delete the three
 * keys after the suite.
 */
export function privateAiQueue(): PrivateAiQueue {
  const prefix = `test:${randomBytes(4).toString('hex')}:ai`;
  const queue = { stream: `${prefix}:tasks`, dead: `${prefix}:tasks:dead`, delayed: `${prefix}:tasks:delayed` };
  return {
    ...queue,
    env: {
      AI_TASKS_STREAM: queue.stream,
      AI_TASKS_DEAD: queue.dead,
      AI_TASKS_DELAYED: queue.delayed,
      AI_CONCURRENCY: '2',
      AI_CPU_THREADS: '1',
    },
  };
}

/** Creates the suite's resources; call teardown() in afterAll. */
export function createSuite(): Suite {
  const tag = randomBytes(5).toString('hex');
  const mongoDbName = `huddle_test_${tag}`;
  const mongoUrl = withDatabase(MONGO_BASE, mongoDbName);
  const registryPrefix = `test:${tag}:media:nodes:`;
  const db = createNodeDb(TEST_DATABASE_URL, { shared: false, max: 4 });
  const userIds: string[] = [];
  const meetingIds: string[] = [];
  const env = {
    DATABASE_URL: TEST_DATABASE_URL,
    REDIS_URL,
    MONGODB_URL: mongoUrl,
    LIVEKIT_API_KEY,
    LIVEKIT_API_SECRET,
    JWT_SECRET,
    MEDIA_NODE_REGISTRY_PREFIX: registryPrefix,
    MEDIA_NODE_HOST: '127.0.0.1',
    MEDIA_NODE_PORT: '0',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // No SFU unless a suite asks for one: a developer's LIVEKIT_URL (scripts/lib/config.sh
    // exports it) must not turn a signaling test's node into a LiveKit node.
    SFU_ENGINE: 'none',
    // Signaling suites run without the AI pool; media-node/test/node-ai.test.ts wires it in.
    AI_WORKERS_ENABLED: 'false',
  };
  const suite: Suite = {
    db,
    mongoUrl,
    registryPrefix,
    env,
    nodes: [],
    async startNode(overrides = {}, options = {}) {
      const base = loadConfig({ ...env, MEDIA_NODE_ID: `node-${tag}-${suite.nodes.length}` });
      const config = { ...base, roomIdleCloseMs: 200, ...overrides };
      const log = pino({ level: env.LOG_LEVEL });
      const node = await MediaNodeServer.create(config, log, { processMetrics: false, ...options });
      suite.nodes.push(node);
      return node;
    },
    async seedMeeting(roles, status = 'ongoing') {
      const ids = roles.map(() => randomUUID());
      await db.db.insert(users).values(
        ids.map((id) => ({
          id,
          username: `u${id.replaceAll('-', '').slice(0, 20)}`,
          email: `${id}@test.huddle`,
          passwordHash: 'x',
          fullName: `User ${id.slice(0, 4)}`,
        })),
      );
      userIds.push(...ids);
      const meetingId = randomUUID();
      const letters = () => Array.from(randomBytes(10), (b) => String.fromCharCode(97 + (b % 26))).join('');
      const l = letters();
      await db.db.insert(meetings).values({
        id: meetingId,
        title: 'Test meeting',
        meetingCode: `${l.slice(0, 3)}-${l.slice(3, 7)}-${l.slice(7, 10)}`,
        creatorId: ids[0]!,
        startTime: new Date(),
        durationMinutes: 30,
        status,
        startedAt: status === 'scheduled' ? null : new Date(Date.now() - 60_000),
        endedAt: status === 'ended' ? new Date() : null,
      });
      meetingIds.push(meetingId);
      await db.db
        .insert(meetingParticipants)
        .values(ids.map((userId, i) => ({ meetingId, userId, role: roles[i]!, status: 'accepted' as const })));
      return { meetingId, userIds: ids };
    },
    async teardown() {
      await Promise.allSettled(suite.nodes.map((n) => n.close()));
      await closeHelperClients();
      if (meetingIds.length > 0) await db.db.delete(meetings).where(inArray(meetings.id, meetingIds));
      if (userIds.length > 0) await db.db.delete(users).where(inArray(users.id, userIds));
      await db.close();
      // The registry index of this suite (a killed node's id stays in it; readers prune it).
      const redis = new Redis(REDIS_URL);
      try {
        await redis.del(mediaNodeRegistryKeys(registryPrefix).index);
      } finally {
        redis.disconnect();
      }
      const mongo = new MongoClient(mongoUrl);
      try {
        await mongo.db().dropDatabase();
      } finally {
        await mongo.close();
      }
    },
  };
  return suite;
}

// Clients of the token helpers (sessions in Redis, invitations in Postgres), opened on
// first use and closed by the suite's teardown.
let helperRedis: Redis | undefined;
let helperDb: NodeDb | undefined;
const redisClient = (): Redis => (helperRedis ??= new Redis(REDIS_URL));
const dbClient = (): NodeDb => (helperDb ??= createNodeDb(TEST_DATABASE_URL, { shared: false, max: 2 }));
async function closeHelperClients(): Promise<void> {
  helperRedis?.disconnect();
  helperRedis = undefined;
  await helperDb?.close();
  helperDb = undefined;
}

/** A login session as the edge keeps it (`session:{sid}`), living `ttlSeconds`; returns its id. */
export async function createTestSession(userId: string, ttlSeconds = 600): Promise<string> {
  const sessionId = randomBytes(16).toString('base64url');
  const key = redisKeys.session(sessionId);
  await redisClient().multi().hset(key, { userId, tokenHash: 'test', generation: 1 }).expire(key, ttlSeconds).exec();
  return sessionId;
}

/** Ends a session as logout does: deletes it (publish `session.revoked` yourself to tell the nodes). */
export async function endTestSession(sessionId: string): Promise<void> {
  await redisClient().del(redisKeys.session(sessionId));
}

/** The participant row's invited_at in ms (0 when the user is not a participant). */
export async function invitedAtMs(meetingId: string, userId: string): Promise<number> {
  const [row] = await dbClient()
    .db.select({ invitedAt: meetingParticipants.invitedAt })
    .from(meetingParticipants)
    .where(and(eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.userId, userId)));
  return row?.invitedAt.getTime() ?? 0;
}

/**
 * A join token exactly as the edge mints it (edge/src/services/join-tokens.ts): bound to
 * a login session (a new live one unless `sessionId` is given) and to the participant's
 * current invitation (read from Postgres unless `invitedAtMs` is given).
 */
export async function mintJoinToken(
  subject: { userId: string; meetingId: string; role: ParticipantRole; name?: string; sessionId?: string; invitedAtMs?: number },
  options: { ttl?: string | number; secret?: string; room?: string } = {},
): Promise<string> {
  const attributes: JoinTokenAttributes = {
    role: subject.role,
    sid: subject.sessionId ?? (await createTestSession(subject.userId)),
    invitedAt: String(subject.invitedAtMs ?? (await invitedAtMs(subject.meetingId, subject.userId))),
  };
  const token = new AccessToken(LIVEKIT_API_KEY, options.secret ?? LIVEKIT_API_SECRET, {
    identity: subject.userId,
    name: subject.name ?? subject.userId,
    ttl: options.ttl ?? 300,
    attributes,
  });
  token.addGrant({
    room: options.room ?? meetingRoomName(subject.meetingId),
    roomJoin: true,
    canPublish: true,
    canSubscribe: true,
    canPublishData: true,
    canUpdateOwnMetadata: false,
    roomAdmin: subject.role === 'host' || subject.role === 'cohost',
  });
  return token.toJwt();
}

type Frame = Record<string, any>;

/** A real WebSocket client that records every frame and matches responses to requests. */
export class TestClient {
  readonly ws: WebSocket;
  readonly frames: Frame[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;
  #nextId = 1;
  #waiters: { predicate: (f: Frame) => boolean; resolve: (f: Frame) => void }[] = [];

  constructor(url: string, options: { autoPong?: boolean } = {}) {
    this.ws = new WebSocket(url, { autoPong: options.autoPong ?? true });
    this.opened = new Promise((resolve, reject) => {
      this.ws.once('open', () => resolve());
      this.ws.once('error', reject);
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => this.ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    this.ws.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as Frame;
      this.frames.push(frame);
      for (const w of this.#waiters.slice()) {
        if (w.predicate(frame)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(frame);
        }
      }
    });
    this.ws.on('error', () => {});
  }

  static async connect(node: MediaNodeServer, token: string): Promise<TestClient> {
    const client = new TestClient(`ws://127.0.0.1:${node.port}/ws?access_token=${encodeURIComponent(token)}`);
    await client.opened;
    return client;
  }

  /** Connects and joins; returns the client and the join response. */
  static async join(node: MediaNodeServer, token: string): Promise<{ client: TestClient; joined: Frame }> {
    const client = await TestClient.connect(node, token);
    const joined = await client.request('join');
    if (!joined.ok) throw new Error(`join failed: ${JSON.stringify(joined)}`);
    return { client, joined };
  }

  /** Sends a request and resolves with its response. */
  request(method: string, data?: unknown): Promise<Frame> {
    const id = this.#nextId++;
    const response = this.waitFor((f) => f.id === id);
    this.ws.send(JSON.stringify(data === undefined ? { id, method } : { id, method, data }));
    return response;
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  /** The first frame (already received or upcoming) that matches. */
  waitFor(predicate: (f: Frame) => boolean, timeoutMs = 5_000): Promise<Frame> {
    const seen = this.frames.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (f: Frame) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  notifications(method: string): Frame[] {
    return this.frames.filter((f) => f.method === method && f.id === undefined);
  }

  close(): void {
    this.ws.close();
  }
}

/** Polls until `check` returns a truthy value or the time runs out. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 5_000, stepMs = 25): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
