// A real livekit-server for a test, started INSIDE the test's network namespace
// (netns.ts) with a generated config: it listens only on the namespace's veth address,
// offers ICE candidates only there, hands clients no public STUN server, and sends its
// webhooks to a URL the test gives (usually the media node on the veth host address).
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { netnsSkipReason, type Netns } from './netns.ts';

/** The livekit-server version scripts/services.sh builds (pinned there too). */
export const LIVEKIT_SERVER_VERSION = 'v1.13.5';

/**
 * Where scripts/services.sh keeps the livekit-server binary:
 * `$LIVEKIT_SERVER_BIN`, else `$HUDDLE_TOOLS_DIR/livekit-<version>/server`
 * (HUDDLE_TOOLS_DIR defaults to ~/.cache/huddle).
 */
export function livekitServerBinary(): string {
  if (process.env.LIVEKIT_SERVER_BIN) return process.env.LIVEKIT_SERVER_BIN;
  const tools = process.env.HUDDLE_TOOLS_DIR ?? join(homedir(), '.cache', 'huddle');
  return join(tools, `livekit-${LIVEKIT_SERVER_VERSION}`, 'server');
}

/**
 * Why no livekit-server can run in a test namespace here (no namespaces, binary
 * missing), or undefined. Tests print it as their one skip line.
 */
export function livekitSkipReason(): string | undefined {
  const netns = netnsSkipReason();
  if (netns) return netns;
  const bin = livekitServerBinary();
  return existsSync(bin) ? undefined : `livekit-server not found at ${bin} (run: bash scripts/services.sh up livekit)`;
}

export interface LivekitServerOptions {
  apiKey: string;
  /** At least 32 characters (livekit-server refuses shorter secrets). */
  apiSecret: string;
  /** Where livekit-server POSTs its webhooks (signed with apiKey); none when omitted. */
  webhookUrl?: string;
  /** Signal/HTTP port inside the namespace; default 7880. */
  port?: number;
  /** The one UDP port (ICE/UDP mux) inside the namespace; default 7882. */
  udpPort?: number;
  /** livekit-server log level; default `warn` (LIVEKIT_TEST_LOG_LEVEL overrides). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Readiness wait, in ms; default 20 000. */
  startTimeoutMs?: number;
  /** Seconds an empty room lives (room.empty_timeout); default 10. */
  emptyTimeoutSeconds?: number;
}

export interface LivekitServer {
  /** WebSocket URL for clients (rtc-node, livekit-client): `ws://nsIp:port`. */
  readonly url: string;
  /** HTTP URL of the server API (RoomServiceClient): `http://nsIp:port`. */
  readonly httpUrl: string;
  readonly process: ChildProcess;
  /** What the server printed (stdout + stderr), for failure messages. */
  output(): string;
  /** Stops the server (TERM, then KILL after 3 s) and removes its config. Idempotent. */
  stop(): Promise<void>;
}

/** The YAML config of a livekit-server bound to `ip` only (JSON is valid YAML). */
export function livekitConfig(ip: string, options: LivekitServerOptions): string {
  const config = {
    port: options.port ?? 7880,
    bind_addresses: [ip],
    keys: { [options.apiKey]: options.apiSecret },
    rtc: {
      udp_port: options.udpPort ?? 7882,
      // Any non-zero TCP port would listen on every interface.
      tcp_port: 0,
      use_external_ip: false,
      node_ip: ip,
      ips: { includes: [`${ip}/32`] },
      enable_loopback_candidate: ip.startsWith('127.'),
      // Without this livekit-server hands clients Google's public STUN servers. Nothing
      // answers here: clients just gather host candidates.
      stun_servers: [`${ip}:3478`],
    },
    room: { empty_timeout: options.emptyTimeoutSeconds ?? 10, departure_timeout: 5 },
    logging: { level: process.env.LIVEKIT_TEST_LOG_LEVEL ?? options.logLevel ?? 'warn', json: false },
    ...(options.webhookUrl ? { webhook: { api_key: options.apiKey, urls: [options.webhookUrl] } } : {}),
  };
  return JSON.stringify(config, null, 2);
}

/**
 * Starts livekit-server inside `netns` and waits until its HTTP endpoint answers from
 * the host (over the veth). Throws with the server's output when it exits or does not
 * answer in time.
 */
export async function startLivekitServer(netns: Netns, options: LivekitServerOptions): Promise<LivekitServer> {
  const dir = await mkdtemp(join(tmpdir(), 'huddle-livekit-'));
  const configPath = join(dir, 'livekit.yaml');
  await writeFile(configPath, livekitConfig(netns.nsIp, options), { mode: 0o600 });
  const port = options.port ?? 7880;
  const child = netns.spawn(livekitServerBinary(), ['--config', configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  const server: LivekitServer = {
    url: `ws://${netns.nsIp}:${port}`,
    httpUrl: `http://${netns.nsIp}:${port}`,
    process: child,
    output: () => output,
    stop() {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) {
          const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
          child.kill('SIGTERM');
          await exited;
          clearTimeout(timer);
        }
        await rm(dir, { recursive: true, force: true });
      })();
      return stopping;
    },
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await server.stop();
      throw new Error(`livekit-server exited during start-up:\n${output}`);
    }
    try {
      const response = await fetch(`${server.httpUrl}/`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return server;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`livekit-server did not answer within ${options.startTimeoutMs ?? 20_000} ms:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}
