// Schemathesis against the edge under Node (edge/src/node.ts, @hono/node-server): the same
// app and document as in workerd, behind another HTTP stack (request parsing, methods,
// bodies). A shorter run than the workerd one; logout is covered there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testSecrets, type EdgeUnderTest } from '../edge/test/harness.ts';
import { testDatabaseUrl } from '../edge/test/join-fixtures.ts';
import { spawnNodeEdge, type NodeEdge } from '../edge/test/node-edge.ts';
import { ensureSchemathesis, failureReport, maxTimeSeconds } from './schemathesis/run.ts';
import { edgeTargetSettings, prepareEdgeTarget, type EdgeTarget } from './schemathesis/edge-target.ts';

const seconds = maxTimeSeconds(60);
let st: string;
let node: NodeEdge;
let target: EdgeTarget;

beforeAll(async () => {
  st = ensureSchemathesis();
  const parts = edgeTargetSettings();
  node = await spawnNodeEdge({
    ...testSecrets,
    ...parts.settings,
    DATABASE_URL: testDatabaseUrl,
    UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079',
    // Schemathesis plays a proxy on loopback: its X-Forwarded-For names the client.
    EDGE_TRUSTED_PROXIES: 'loopback',
  });
  const edge: EdgeUnderTest = { fetch: (path, init) => fetch(`${node.url}${path}`, init), close: async () => {}, logs: () => [] };
  target = await prepareEdgeTarget(edge, parts, seconds + 600);
}, 600_000);

afterAll(async () => {
  await target?.close();
  node?.child.kill('SIGTERM');
});

describe('Schemathesis against the edge under Node', () => {
  it(`finds no server error or contract failure in any operation but logout (${seconds} s budget)`, async () => {
    const result = await target.fuzz({ name: 'edge-node', st, baseUrl: node.url, seconds, maxExamples: 15 });
    expect(result.exitCode, failureReport(result)).toBe(0);
    expect(result.testCases).toBeGreaterThan(50);
    expect(node.stderr()).not.toMatch(/\bat \S+ \(|TypeError|RangeError/);
  }, (seconds + 300) * 1000);
});
