import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type EdgeUnderTest } from './harness.ts';

// The Worker serves the built web client (wrangler.toml [assets]) on the API's origin:
// client routes fall back to index.html, while /api/*, /health and /ready reach the
// Worker first. Without a build (web/dist empty), a stand-in index.html is used.
const dist = fileURLToPath(new URL('../../web/dist/', import.meta.url));
const index = `${dist}index.html`;
const standIn = !existsSync(index);
let edge: EdgeUnderTest;

beforeAll(async () => {
  if (standIn) {
    mkdirSync(dist, { recursive: true });
    writeFileSync(index, '<!doctype html><title>Huddle</title><div id="root"></div>\n');
  }
  edge = await startEdge();
});
afterAll(async () => {
  await edge?.close();
  if (standIn) rmSync(index, { force: true });
});

describe('the web client as static assets of the edge Worker', () => {
  it('serves index.html at / and for client-side routes', async () => {
    for (const path of ['/', '/meetings/0b5d8a4e-4a9e-4cf2-9d35-0a1f7f2c9a11/lobby', '/signin']) {
      const response = await edge.fetch(path, { headers: { accept: 'text/html', 'sec-fetch-mode': 'navigate' } });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/text\/html/);
      expect(await response.text()).toContain('<div id="root"></div>');
    }
  });

  it('lets the API and the health checks reach the Worker', async () => {
    const health = await edge.fetch('/health', { headers: { 'sec-fetch-mode': 'navigate' } });
    expect(await health.json()).toMatchObject({ status: 'ok', service: 'edge' });
    const document = await edge.fetch('/api/v1/openapi.json', { headers: { 'sec-fetch-mode': 'navigate' } });
    expect(await document.json()).toMatchObject({ openapi: '3.1.0' });
    const unknown = await edge.fetch('/api/v1/no-such-route', { headers: { 'sec-fetch-mode': 'navigate' } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/application\/json/);
  });
});
