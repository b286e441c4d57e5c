// What a Schemathesis run against the edge needs, in whichever runtime the edge runs:
// two users (the runs act as the host), two meetings, a live media node entry in a
// private registry, and a private AI task stream — and the clean-up.
import { randomBytes } from 'node:crypto';
import type { Redis as TcpRedis } from 'ioredis';
import { redisKeys } from '@huddle/protocol';
import type { EdgeUnderTest } from '../../edge/test/harness.ts';
import { openTestRedis, TestRegistry } from '../../edge/test/join-fixtures.ts';
import { authHeaders, randomSuffix, registerAndLogin, type SignedInUser } from '../../edge/test/users-helper.ts';
import { runSchemathesis, seedArgs, summary, type SchemathesisResult } from './run.ts';

/** Edge settings (vars) a fuzzed edge runs with. */
export interface EdgeTargetSettings extends Record<string, string> {
  AI_TASKS_STREAM: string;
  AI_TASKS_PER_MINUTE: string;
  MEDIA_NODE_REGISTRY_PREFIX: string;
  ACCESS_TOKEN_TTL_SECONDS: string;
  LOG_LEVEL: string;
}

/** The prepared target: who the run acts as, what exists, how to clean up. */
export interface EdgeTarget {
  host: SignedInUser;
  guest: SignedInUser;
  meetingIds: string[];
  /** Arguments for `st run`: the host's token, a client address of the run's own (rate limits), one worker. */
  args(token?: string): string[];
  /**
   * Runs Schemathesis on every operation but logout (which would end the host's session),
   * as the host, bounded by `seconds` and `maxExamples`; logs a summary line.
   */
  fuzz(run: { name: string; st: string; baseUrl: string; seconds: number; maxExamples: number }): Promise<SchemathesisResult>;
  close(): Promise<void>;
}

/** A private stream, registry and quota: fuzzed AI tasks can carry ~700 KB each. */
export function edgeTargetSettings(): { settings: EdgeTargetSettings; redis: TcpRedis; registry: TestRegistry } {
  const redis = openTestRedis();
  const registry = new TestRegistry(redis);
  return {
    redis,
    registry,
    settings: {
      AI_TASKS_STREAM: `test:${randomSuffix(4)}:st:ai:tasks`,
      AI_TASKS_PER_MINUTE: '20',
      MEDIA_NODE_REGISTRY_PREFIX: registry.prefix,
      ACCESS_TOKEN_TTL_SECONDS: '3600',
      LOG_LEVEL: 'error',
    },
  };
}

/** Registers the users, meetings and media node entry through `edge`; `lifetimeSeconds` bounds the node entry. */
export async function prepareEdgeTarget(
  edge: EdgeUnderTest,
  parts: { settings: EdgeTargetSettings; redis: TcpRedis; registry: TestRegistry },
  lifetimeSeconds: number,
): Promise<EdgeTarget> {
  const { redis, registry, settings } = parts;
  // A live media node entry, so that join answers 200 rather than 503 no_media_node.
  await registry.register(`st-${randomSuffix(4)}`, {}, lifetimeSeconds * 1000);
  const [host, guest] = (await Promise.all([registerAndLogin(edge), registerAndLogin(edge)])) as [SignedInUser, SignedInUser];
  const meetingIds: string[] = [];
  for (const title of ['Fuzzed meeting', 'Another fuzzed meeting']) {
    const created = await edge.fetch('/api/v1/meetings', {
      method: 'POST',
      headers: authHeaders(host.accessToken),
      body: JSON.stringify({ title, startTime: new Date(Date.now() + 3_600_000).toISOString(), duration: 30, invitedUserIds: [guest.user.id] }),
    });
    if (created.status !== 201) throw new Error(`meeting not created: ${created.status} ${await created.text()}`);
    meetingIds.push(((await created.json()) as { id: string }).id);
  }
  const client = `198.18.${randomBytes(1)[0]}.${randomBytes(1)[0]}`;
  const args = (token = host.accessToken) => [
      '--header', `Authorization: Bearer ${token}`,
      // The client's address as each runtime takes it: Cloudflare's header (workerd), the
      // trusted proxy's X-Forwarded-For (Node with EDGE_TRUSTED_PROXIES=loopback).
      '--header', `CF-Connecting-IP: ${client}`,
      '--header', `X-Forwarded-For: ${client}`,
      '--request-timeout', '30',
      // One worker: with two, Hypothesis (describing its strategies) calls ast.parse from two
      // threads, which CPython 3.11 answers with "SystemError: AST constructor recursion depth
      // mismatch" now and then — a failed run that is no fault of the API.
      '--workers', '1',
  ];
  return {
    host,
    guest,
    meetingIds,
    args,
    async fuzz({ name, st, baseUrl, seconds, maxExamples }) {
      const result = await runSchemathesis({
        name,
        st,
        schemaUrl: `${baseUrl}/api/v1/openapi.json`,
        args: [...args(), '--exclude-path', '/api/v1/auth/logout', '--max-examples', String(maxExamples), '--max-time', String(seconds), ...seedArgs()],
        userIds: [host.user.id, guest.user.id],
        meetingIds,
        credentials: { login: host.user.username, password: host.password },
        killAfterMs: (seconds + 240) * 1000,
      });
      console.info(summary(name, result));
      return result;
    },
    async close() {
      await registry.clear();
      await redis.del(settings.AI_TASKS_STREAM, ...meetingIds.map((id) => redisKeys.meetingNode(id)));
      redis.disconnect();
    },
  };
}
