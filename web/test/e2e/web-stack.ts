// The whole system for browser tests: a network namespace of the test's own with
// livekit-server in it, media nodes and the edge (Node adapter) on the veth's host
// address, the built web client served by Vite's preview server (same origin as the
// API through its proxy), and Chromium started INSIDE the namespace through a wrapper
// executable — so WebRTC never touches this machine's interfaces.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve, type ServerType } from '@hono/node-server';
import { closeSharedDbs } from '@huddle/db';
import { pino } from 'pino';
import { chromium, type Browser } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { createApp } from '../../../edge/src/app.ts';
import type { EdgeBindings } from '../../../edge/src/env.ts';
import { loadConfig } from '../../../media-node/src/config.ts';
import { MediaNodeServer } from '../../../media-node/src/server.ts';
import { createSuite, type Suite } from '../../../media-node/test/signaling-helpers.ts';
import { livekitSkipReason, startLivekitServer, type LivekitServer } from '../../../scripts/src/testing/livekit-server.ts';
import { createNetns, type Netns } from '../../../scripts/src/testing/netns.ts';

export const webRoot = fileURLToPath(new URL('../..', import.meta.url));
/** The local offline transcriber (scripts/services.sh `transcriber`) the captions pipeline calls. */
export const transcribeUrl = process.env.TRANSCRIBE_URL ?? `http://127.0.0.1:${process.env.HUDDLE_TRANSCRIBER_PORT ?? 8090}`;

/** Whether the transcriber answers its health check. */
export async function transcriberUp(): Promise<boolean> {
  try {
    return (await fetch(`${transcribeUrl}/health`, { signal: AbortSignal.timeout(2_000) })).ok;
  } catch {
    return false;
  }
}
const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

/** The SFU a stack runs. */
export type StackBackend = 'livekit' | 'mediasoup';

/** Why the browser tests cannot run here on `backend` (one skip line), or undefined. */
export function webE2eSkipReason(backend: StackBackend = 'livekit'): string | undefined {
  if (backend === 'mediasoup' && !process.env.MEDIASOUP_WORKER_BIN) return 'no mediasoup worker (set MEDIASOUP_WORKER_BIN)';
  const livekit = livekitSkipReason();
  if (livekit) return livekit;
  try {
    execFileSync(CHROMIUM, ['--version'], { stdio: 'ignore', timeout: 20_000 });
  } catch {
    return `no Chromium at ${CHROMIUM} (apt-get install chromium; scripts/services.sh installs it)`;
  }
  return undefined;
}

export interface WebStack {
  backend: StackBackend;
  ns: Netns;
  suite: Suite;
  /** The LiveKit server (livekit stacks only). */
  livekit: LivekitServer | undefined;
  /** The media node meetings land on (the first one; `startNode` adds more). */
  node: MediaNodeServer;
  /** Where the browser opens the app: http://{hostIp}:{port}. */
  webUrl: string;
  /** Starts another media node in the same registry (for drain tests). */
  startNode(): Promise<MediaNodeServer>;
  /**
   * A Chromium inside the namespace with fake camera and microphone; `audioFile` (a WAV)
   * replaces the fake microphone's beep.
   */
  browser(options?: { audioFile?: string }): Promise<Browser>;
  teardown(): Promise<void>;
}

/** Chromium flags: fake devices, no prompts, nothing talks to the outside. */
export function chromiumArgs(webUrl: string, audioFile?: string): string[] {
  return [
    '--no-sandbox',
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    '--autoplay-policy=no-user-gesture-required',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    // getUserMedia needs a secure context; the app is served over http on the veth address.
    `--unsafely-treat-insecure-origin-as-secure=${webUrl}`,
    '--auto-select-desktop-capture-source=Entire screen',
    ...(audioFile ? [`--use-file-for-fake-audio-capture=${audioFile}`] : []),
  ];
}

/**
 * Builds the client into `outDir` (a directory of the test's own: web/dist is what
 * wrangler serves, and other suites may be reading it).
 */
export async function buildWeb(outDir: string): Promise<void> {
  await build({ root: webRoot, configFile: join(webRoot, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}

/** Starts the stack on one SFU; call teardown() when done. */
export async function startWebStack(backend: StackBackend = 'livekit'): Promise<WebStack> {
  const suite = createSuite();
  const ns = await createNetns();
  const tag = randomBytes(4).toString('hex');
  const nodes: MediaNodeServer[] = [];
  const browsers: Browser[] = [];
  let livekit: LivekitServer | undefined;
  let edge: ServerType | undefined;
  let web: PreviewServer | undefined;
  const tmp = await mkdtemp(join(tmpdir(), 'huddle-web-e2e-'));
  try {
    const sfuEnv =
      backend === 'livekit'
        ? {
            SFU_ENGINE: 'livekit',
            LIVEKIT_URL: `http://${ns.nsIp}:7880`,
            LIVEKIT_HEALTH_INTERVAL_MS: '500',
            LIVEKIT_OBSERVER_NETNS: ns.name,
          }
        : {
            // mediasoup's WebRtcServer on the veth host address: reachable from the namespace only.
            SFU_ENGINE: 'mediasoup',
            MEDIASOUP_WORKER_BIN: process.env.MEDIASOUP_WORKER_BIN ?? '',
            MEDIASOUP_WORKERS: '1',
            MEDIASOUP_LISTEN_IP: ns.hostIp,
            MEDIASOUP_PORT_BASE: '0',
          };
    const nodeEnv = {
      ...suite.env,
      MEDIA_NODE_HOST: ns.hostIp,
      MEDIA_NODE_REGISTRY_INTERVAL_SECONDS: '0.3',
      ...sfuEnv,
      // Captions need the AI pool (transcribe tasks) on a stream of this run's own.
      AI_WORKERS_ENABLED: 'true',
      AI_TASKS_STREAM: `test:${tag}:ai:tasks`,
      AI_TASKS_DEAD: `test:${tag}:ai:tasks:dead`,
      AI_TASKS_DELAYED: `test:${tag}:ai:tasks:delayed`,
      AI_CONCURRENCY: '2',
      AI_CPU_THREADS: '1',
      TRANSCRIBE_URL: transcribeUrl,
      TRANSCRIBE_MODEL: process.env.TRANSCRIBE_MODEL ?? 'whisper-tiny.en',
    };
    const startNode = async () => {
      const config = loadConfig({ ...nodeEnv, MEDIA_NODE_ID: `web-${tag}-${nodes.length}` });
      const node = await MediaNodeServer.create({ ...config, roomIdleCloseMs: 2_000 }, pino({ level: suite.env.LOG_LEVEL }), { processMetrics: false });
      nodes.push(node);
      suite.nodes.push(node);
      return node;
    };
    const node = await startNode();
    if (backend === 'livekit') {
      livekit = await startLivekitServer(ns, {
        apiKey: suite.env.LIVEKIT_API_KEY!,
        apiSecret: suite.env.LIVEKIT_API_SECRET!,
        webhookUrl: `http://${ns.hostIp}:${node.port}/webhooks/livekit`,
      });
    }

    // The edge under Node (the same app as on Workers), reachable only through the web proxy.
    const env: EdgeBindings = {
      DATABASE_URL: suite.env.DATABASE_URL!,
      UPSTASH_REDIS_REST_URL: process.env.UPSTASH_REDIS_REST_URL ?? 'http://127.0.0.1:8079',
      UPSTASH_REDIS_REST_TOKEN: process.env.UPSTASH_REDIS_REST_TOKEN ?? 'huddle-local-token',
      JWT_SECRET: suite.env.JWT_SECRET!,
      LIVEKIT_API_KEY: suite.env.LIVEKIT_API_KEY!,
      LIVEKIT_API_SECRET: suite.env.LIVEKIT_API_SECRET!,
      MEDIA_NODE_REGISTRY_PREFIX: suite.registryPrefix,
      AI_TASKS_STREAM: nodeEnv.AI_TASKS_STREAM,
      LOG_LEVEL: 'warn',
    };
    const app = createApp();
    const edgeServer = serve({ fetch: (request: Request) => app.fetch(request, env), port: 0, hostname: '127.0.0.1' });
    edge = edgeServer;
    await new Promise<void>((resolve) => edgeServer.once('listening', () => resolve()));
    const edgeUrl = `http://127.0.0.1:${(edgeServer.address() as AddressInfo).port}`;

    const outDir = join(tmp, 'dist');
    await buildWeb(outDir);
    web = await preview({
      root: webRoot,
      configFile: join(webRoot, 'vite.config.ts'),
      logLevel: 'warn',
      build: { outDir },
      preview: { host: ns.hostIp, port: 0, strictPort: false, proxy: { '/api': { target: edgeUrl, changeOrigin: false } } },
    });
    const webUrl = (web.resolvedUrls?.local[0] ?? web.resolvedUrls?.network[0] ?? '').replace(/\/$/, '');
    if (!webUrl) throw new Error('the preview server reported no URL');

    const wrapper = join(tmp, 'chromium-in-netns.sh');
    await writeFile(wrapper, `#!/bin/sh\nexec ip netns exec ${ns.name} ${CHROMIUM} "$@"\n`);
    await chmod(wrapper, 0o755);

    // The node reports its SFU available within a health interval and a heartbeat.
    const deadline = Date.now() + 15_000;
    while (!(node.sfu?.available && node.registry.entry().sfuAvailable)) {
      if (Date.now() > deadline) throw new Error(`the media node's ${backend} SFU never became available`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await node.registry.heartbeat();

    const theLivekit = livekit;
    const theWeb = web;
    return {
      backend,
      ns,
      suite,
      livekit: theLivekit,
      node,
      webUrl,
      startNode,
      async browser({ audioFile } = {}) {
        const browser = await chromium.launch({ executablePath: wrapper, headless: true, args: chromiumArgs(webUrl, audioFile), timeout: 60_000 });
        browsers.push(browser);
        return browser;
      },
      async teardown() {
        await Promise.allSettled(browsers.map((b) => b.close()));
        await theWeb.close();
        await Promise.allSettled(nodes.map((n) => n.close()));
        await suite.teardown();
        await theLivekit?.stop();
        await new Promise((resolve) => edgeServer.close(resolve));
        await closeSharedDbs();
        await ns.close();
        await rm(tmp, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.allSettled(browsers.map((b) => b.close()));
    await web?.close();
    await Promise.allSettled(nodes.map((n) => n.close()));
    await suite.teardown().catch(() => undefined);
    await livekit?.stop();
    edge?.close();
    await ns.close();
    await rm(tmp, { recursive: true, force: true });
    throw error;
  }
}
