import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../scripts/src/testing/ports.ts';

// The README's "run the whole system" command, for real: scripts/dev.sh on spare
// ports, until the media node and the edge (wrangler dev / workerd) report ready and the
// web client (Vite) answers, with the API behind its proxy.
const root = fileURLToPath(new URL('..', import.meta.url));
let dev: ChildProcess | undefined;
let output = '';


async function waitForJson(url: string, deadline: number): Promise<{ status: number; body: unknown }> {
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (response.ok) return { status: response.status, body: await response.json() };
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} not ready; dev.sh output:\n${output.slice(-3000)}`);
    if (dev?.exitCode !== null) throw new Error(`dev.sh exited (${dev?.exitCode}):\n${output.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

afterAll(async () => {
  if (!dev?.pid || dev.exitCode !== null) return;
  const exited = new Promise((resolve) => dev?.once('exit', resolve));
  process.kill(-dev.pid, 'SIGTERM');
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  if (dev.exitCode === null) process.kill(-dev.pid, 'SIGKILL');
});

describe('npm run dev (scripts/dev.sh)', () => {
  it('brings up the media node and the edge with every dependency ready', async () => {
    const edgePort = await freePort();
    const mediaPort = await freePort();
    const webPort = await freePort();
    dev = spawn('bash', ['scripts/dev.sh'], {
      cwd: root,
      detached: true, // own process group, so teardown reaches wrangler and workerd
      env: { ...process.env, EDGE_PORT: String(edgePort), MEDIA_NODE_PORT: String(mediaPort), WEB_PORT: String(webPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    dev.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    dev.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));

    const deadline = Date.now() + 90_000;
    const media = await waitForJson(`http://127.0.0.1:${mediaPort}/ready`, deadline);
    expect(media.body).toMatchObject({
      status: 'ok',
      service: 'media-node',
      dependencies: { postgres: { status: 'up' }, redis: { status: 'up' }, mongodb: { status: 'up' } },
    });
    const edge = await waitForJson(`http://127.0.0.1:${edgePort}/ready`, deadline);
    expect(edge.body).toMatchObject({
      status: 'ok',
      service: 'edge',
      dependencies: { postgres: { status: 'up' }, redis: { status: 'up' } },
    });
    expect(output).toContain('Using secrets defined in .dev.vars');
    // The web client (Vite) serves the app and proxies the API: one origin for the browser.
    const api = await waitForJson(`http://127.0.0.1:${webPort}/api/v1/openapi.json`, deadline);
    expect(api.body).toMatchObject({ openapi: '3.1.0' });
    const page = await fetch(`http://127.0.0.1:${webPort}/meetings/some-id/lobby`);
    expect(await page.text()).toContain('<div id="root"></div>');
  }, 120_000);
});
