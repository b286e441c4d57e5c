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
