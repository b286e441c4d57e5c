import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type EdgeUnderTest } from './harness.ts';

let edge: EdgeUnderTest;
beforeAll(async () => {
  edge = await startEdge();
});
afterAll(() => edge?.close());

describe('edge in workerd: health, errors, OpenAPI', () => {
  it('answers /health and reports each dependency on /ready', async () => {
    expect(await (await edge.fetch('/health')).json()).toEqual({ status: 'ok', service: 'edge' });
    const ready = await edge.fetch('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      dependencies: { postgres: { status: 'up' }, redis: { status: 'up' } },
    });
  });

  it('gives a JSON 404 with a request id for unknown routes', async () => {
    const response = await edge.fetch('/api/v1/nope');
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toMatch(/\S{8,}/);
    expect(await response.json()).toEqual({ error: { code: 'not_found', message: 'No such route.' } });
  });

  it('serves the OpenAPI document', async () => {
    const response = await edge.fetch('/api/v1/openapi.json');
    expect(response.status).toBe(200);
    const doc = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/ready']));
  });
});

describe('edge in workerd with its dependencies down', () => {
  let down: EdgeUnderTest;
  beforeAll(async () => {
    // Port 1 on loopback refuses connections at once: Postgres and the REST gateway are "down".
    down = await startEdge({
      databaseUrl: 'postgres://huddle:huddle@127.0.0.1:1/huddle_test',
      vars: { UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1' },
    });
  });
  afterAll(() => down?.close());

  it('reports each dependency as down on /ready with 503', async () => {
    const response = await down.fetch('/ready');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      status: 'degraded',
      dependencies: { postgres: { status: 'down' }, redis: { status: 'down' } },
    });
  });

  it('answers API calls with a 503 JSON error, not a 500', async () => {
    const response = await down.fetch('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': '203.0.113.9' },
      body: JSON.stringify({ login: 'nobody', password: 'irrelevant-password' }),
    });
    expect(response.status, down.logs().join('\n')).toBe(503);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('dependency_unavailable');
    expect(JSON.stringify(body)).not.toMatch(/\bat \S+:\d+|ECONNREFUSED|127\.0\.0\.1/);
  });
});
