// Schemathesis (property-based, from the OpenAPI document) against the edge running in
// workerd: every operation, standard checks (server errors, status codes, content types,
// response headers and schemas, schema-valid data accepted, invalid data refused, 405 with
// Allow for other methods, auth enforced), positive and negative data, bounded in time.
// Any failure fails the suite, with Schemathesis' report (and a command to replay it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type EdgeUnderTest } from '../edge/test/harness.ts';
import { postJson, testClientIp } from '../edge/test/users-helper.ts';
import { ensureSchemathesis, failureReport, maxTimeSeconds, runSchemathesis, seedArgs, summary } from './schemathesis/run.ts';
import { edgeTargetSettings, prepareEdgeTarget, type EdgeTarget } from './schemathesis/edge-target.ts';

const seconds = maxTimeSeconds(150);
let st: string;
let edge: EdgeUnderTest & { url: string };
let target: EdgeTarget;

beforeAll(async () => {
  st = ensureSchemathesis();
  const parts = edgeTargetSettings();
  edge = await startEdge({ vars: parts.settings });
  target = await prepareEdgeTarget(edge, parts, seconds + 600);
}, 600_000);

afterAll(async () => {
  await target?.close();
  await edge?.close();
});

describe('Schemathesis against the edge in workerd', () => {
  it(`finds no server error or contract failure in any operation but logout (${seconds} s budget)`, async () => {
    const result = await target.fuzz({ name: 'edge', st, baseUrl: edge.url, seconds, maxExamples: 25 });
    expect(result.exitCode, failureReport(result)).toBe(0);
    expect(result.testCases).toBeGreaterThan(100);
  }, (seconds + 300) * 1000);

  it('finds none in logout, with a session of its own (logging out ends the session the other run uses)', async () => {
    const session = await edge.fetch(
      '/api/v1/auth/refresh',
      postJson({ refreshToken: target.guest.refreshToken }, { 'cf-connecting-ip': testClientIp() }),
    );
    const { accessToken } = (await session.json()) as { accessToken: string };
    const result = await runSchemathesis({
      name: 'edge-logout',
      st,
      schemaUrl: `${edge.url}/api/v1/openapi.json`,
      args: [...target.args(accessToken), '--include-path', '/api/v1/auth/logout', '--max-examples', '10', ...seedArgs()],
      killAfterMs: 300_000,
    });
    console.info(summary('edge logout', result));
    expect(result.exitCode, failureReport(result)).toBe(0);
  }, 360_000);
});
