// Schemathesis (property-based, from the OpenAPI document) against the edge running in
// workerd: every operation, standard checks (server errors, status codes, content types,
// response headers and schemas, schema-valid data accepted, invalid data refused, 405 with
// Allow for other methods, auth enforced), positive and negative data, bounded in time.
// Any failure fails the suite, with Schemathesis' report (and a command to replay it).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis as TcpRedis } from 'ioredis';
import { redisKeys } from '@huddle/protocol';
import { startEdge, type EdgeUnderTest } from '../edge/test/harness.ts';
import { authHeaders, postJson, randomSuffix, registerAndLogin, testClientIp, type SignedInUser } from '../edge/test/users-helper.ts';
import { openTestRedis, TestRegistry } from '../edge/test/join-fixtures.ts';
import { ensureSchemathesis, failureReport, maxTimeSeconds, runSchemathesis, seedArgs, summary } from './schemathesis/run.ts';

const run = randomSuffix(4);
const stream = `test:${run}:st:ai:tasks`;
const seconds = maxTimeSeconds(150);
let st: string;
let edge: EdgeUnderTest & { url: string };
let redis: TcpRedis;
let registry: TestRegistry;
let host: SignedInUser;
let guest: SignedInUser;
const meetingIds: string[] = [];

beforeAll(async () => {
  st = ensureSchemathesis();
  redis = openTestRedis();
  registry = new TestRegistry(redis);
  edge = await startEdge({
    vars: {
      AI_TASKS_STREAM: stream,
      // Fuzzed tasks can carry ~700 KB each: keep what they leave in Redis small.
      AI_TASKS_PER_MINUTE: '20',
      MEDIA_NODE_REGISTRY_PREFIX: registry.prefix,
      ACCESS_TOKEN_TTL_SECONDS: '3600',
      LOG_LEVEL: 'error',
    },
  });
  // A live media node entry, so that join answers 200 rather than 503 no_media_node.
  await registry.register(`st-${run}`, {}, (seconds + 600) * 1000);
  [host, guest] = await Promise.all([registerAndLogin(edge), registerAndLogin(edge)]);
  for (const title of ['Fuzzed meeting', 'Another fuzzed meeting']) {
    const created = await edge.fetch('/api/v1/meetings', {
      method: 'POST',
      headers: authHeaders(host.accessToken),
      body: JSON.stringify({ title, startTime: new Date(Date.now() + 3_600_000).toISOString(), duration: 30, invitedUserIds: [guest.user.id] }),
    });
    expect(created.status).toBe(201);
    meetingIds.push(((await created.json()) as { id: string }).id);
  }
}, 600_000);

afterAll(async () => {
  await registry?.clear();
  await redis?.del(stream, ...meetingIds.map((id) => redisKeys.meetingNode(id)));
  await edge?.close();
  redis?.disconnect();
});

/**
 * Arguments every edge run shares: its own client address (rate limits), the seed. One
 * worker: with two, Hypothesis (describing its strategies) calls ast.parse from two threads,
 * which CPython 3.11 answers with "SystemError: AST constructor recursion depth mismatch"
 * now and then — a failed run that is no fault of the API.
 */
const common = (token: string) => [
  '--header', `Authorization: Bearer ${token}`,
  '--header', `CF-Connecting-IP: 198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]}`,
  '--request-timeout', '30',
  ...seedArgs(),
];

describe('Schemathesis against the edge in workerd', () => {
  it(`finds no server error or contract failure in any operation but logout (${seconds} s budget)`, async () => {
    const result = await runSchemathesis({
      name: 'edge',
      st,
      schemaUrl: `${edge.url}/api/v1/openapi.json`,
      args: [...common(host.accessToken), '--exclude-path', '/api/v1/auth/logout', '--workers', '1', '--max-examples', '25', '--max-time', String(seconds)],
      userIds: [host.user.id, guest.user.id],
      meetingIds,
      credentials: { login: host.user.username, password: host.password },
      killAfterMs: (seconds + 240) * 1000,
    });
    console.info(summary('edge', result));
    expect(result.exitCode, failureReport(result)).toBe(0);
    expect(result.testCases).toBeGreaterThan(100);
  }, (seconds + 300) * 1000);

  it('finds none in logout, with a session of its own (logging out ends the session the other run uses)', async () => {
    const session = await edge.fetch(
      '/api/v1/auth/refresh',
      postJson({ refreshToken: guest.refreshToken }, { 'cf-connecting-ip': testClientIp() }),
    );
    const { accessToken } = (await session.json()) as { accessToken: string };
    const result = await runSchemathesis({
      name: 'edge-logout',
      st,
      schemaUrl: `${edge.url}/api/v1/openapi.json`,
      args: [...common(accessToken), '--include-path', '/api/v1/auth/logout', '--workers', '1', '--max-examples', '10'],
      killAfterMs: 300_000,
    });
    console.info(summary('edge logout', result));
    expect(result.exitCode, failureReport(result)).toBe(0);
  }, 360_000);
});
