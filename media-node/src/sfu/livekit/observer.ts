import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AccessToken } from 'livekit-server-sdk';
import type { Logger } from 'pino';
import type { ObserverCommand, ObserverMessage } from './observer-protocol.ts';

const ENTRY = fileURLToPath(new URL('./observer-main.ts', import.meta.url));
/** Restart delays after a crash: doubling from 1 s, at most 30 s. */
const BACKOFF_START_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
/** A run longer than this counts as healthy: the next crash starts the backoff over. */
const HEALTHY_RUN_MS = 60_000;

export interface LivekitObserverOptions {
  /** ws(s) URL of the LiveKit server as this node reaches it. */
  url: string;
  apiKey: string;
  apiSecret: string;
  /** LiveKit room name. */
  room: string;
  /** The observer's identity (not a user id, so webhooks and rosters ignore it). */
  identity: string;
  /** Run it with `ip netns exec <netns>` (tests). */
  netns: string | undefined;
  log: Logger;
  /** Every message of the child, in order. */
  onMessage(message: ObserverMessage): void;
}

/**
 * The room's hidden observer participant, run in a child process (observer-main.ts)
 * so rtc-node's native library is isolated from the node. A crash is logged and the
 * observer restarted with exponential backoff (1 s … 30 s); `close()` stops it for good.
 */
export class LivekitObserver {
  readonly #o: LivekitObserverOptions;
  #child: ChildProcess | undefined;
  #tap = false;
  #closed = false;
  #backoffMs = BACKOFF_START_MS;
  #restartTimer: NodeJS.Timeout | undefined;
  #connected = false;
  /** Starts (a sequence number, so a late exit of an old child is told apart). */
  #starts = 0;

  constructor(options: LivekitObserverOptions) {
    this.#o = options;
  }

  /** Starts the child and joins the room. */
  start(): void {
    if (this.#closed || this.#child) return;
    void this.#spawn().catch((error: unknown) => {
      this.#o.log.error({ err: error instanceof Error ? error.message : String(error) }, 'LiveKit observer failed to start');
      this.#scheduleRestart();
    });
  }

  /** Turns the audio tap on or off (also for a restarted child). */
  setTap(on: boolean): void {
    this.#tap = on;
    this.#send({ type: 'tap', on });
  }

  /** How many times the child was started (tests, metrics). */
  get starts(): number {
    return this.#starts;
  }

  /** True while the current child is in the room. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The child's pid while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  async #spawn(): Promise<void> {
    const token = new AccessToken(this.#o.apiKey, this.#o.apiSecret, { identity: this.#o.identity, name: 'observer', ttl: 3_600 });
    token.addGrant({
      room: this.#o.room,
      roomJoin: true,
      hidden: true,
      canSubscribe: true,
      canPublish: false,
      canPublishData: false,
      canUpdateOwnMetadata: false,
    });
    const jwt = await token.toJwt();
    if (this.#closed) return;
    const command = this.#o.netns ? 'ip' : process.execPath;
    const args = this.#o.netns ? ['netns', 'exec', this.#o.netns, process.execPath, ENTRY] : [ENTRY];
    const child = spawn(command, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'error' },
    });
    this.#child = child;
    const started = Date.now();
    this.#starts++;
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2_000);
    });
    child.on('message', (message: ObserverMessage) => {
      if (message.type === 'connected') this.#connected = true;
      else if (message.type === 'disconnected') this.#connected = false;
      this.#o.onMessage(message);
    });
    child.once('exit', (code, signal) => {
      if (this.#child === child) {
        this.#child = undefined;
        this.#connected = false;
      }
      if (this.#closed) return;
      this.#o.log.warn({ code, signal, stderr: stderr.trim().slice(-500) || undefined }, 'LiveKit observer exited; restarting');
      if (Date.now() - started > HEALTHY_RUN_MS) this.#backoffMs = BACKOFF_START_MS;
      this.#scheduleRestart();
    });
    child.once('error', (error) => this.#o.log.error({ err: error.message }, 'LiveKit observer process error'));
    this.#send({ type: 'connect', url: this.#o.url, token: jwt, tap: this.#tap });
  }

  #scheduleRestart(): void {
    if (this.#closed || this.#restartTimer) return;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, BACKOFF_MAX_MS);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      this.start();
    }, delay);
    this.#restartTimer.unref();
  }

  #send(command: ObserverCommand): void {
    const child = this.#child;
    if (child?.connected) child.send(command, (error) => error && this.#o.log.debug({ err: error.message }, 'observer IPC send failed'));
  }

  /** Leaves the room and stops the child (KILL after 3 s). Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#restartTimer);
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (child.connected) child.send({ type: 'close' } satisfies ObserverCommand);
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await exited;
    clearTimeout(timer);
  }
}
