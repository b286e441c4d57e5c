import {
  signalingNotificationSchema,
  type SignalingErrorCode,
  type SignalingNotification,
  type SignalingRequest,
} from '@huddle/protocol';
import { z } from 'zod';

/** A request as the client sends it: the id is added by the client. */
export type OutgoingRequest = { [M in SignalingRequest['method']]: Omit<Extract<SignalingRequest, { method: M }>, 'id'> }[SignalingRequest['method']];

/** Close code the client reports for a connection it gave up on (no answer, browser offline). */
export const SIGNALING_ABORT_CODE = 4000;

/** How long a request waits for its response, in ms. */
const REQUEST_TIMEOUT_MS = 10_000;

/** A request answered `ok: false`, or never answered. */
export class SignalingRequestError extends Error {
  readonly code: SignalingErrorCode | 'timeout' | 'closed';
  constructor(code: SignalingErrorCode | 'timeout' | 'closed', message: string) {
    super(message);
    this.name = 'SignalingRequestError';
    this.code = code;
  }
}

const responseSchema = z.union([
  z.object({ id: z.union([z.string(), z.number()]), ok: z.literal(true), data: z.unknown() }),
  z.object({
    id: z.union([z.string(), z.number()]),
    ok: z.literal(false),
    error: z.object({ code: z.string(), message: z.string() }),
  }),
]);

/** The socket the client needs: the browser's WebSocket, or a test double with the same shape. */
export type SocketFactory = (url: string) => WebSocket;

interface Pending {
  resolve(data: unknown): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * One signaling connection to a media node (`{url}/ws?access_token=`): requests with
 * ids and exactly one response each, notifications parsed with the protocol's schemas.
 * Frames that fail their schema are dropped with a warning, never trusted. Opened by
 * `open()`; closed by the server or `close()`, after which pending requests fail with
 * code `closed` and no listener fires again.
 */
export class SignalingClient {
  readonly #socket: WebSocket;
  readonly #pending = new Map<number, Pending>();
  readonly #notificationListeners = new Set<(notification: SignalingNotification) => void>();
  readonly #closeListeners = new Set<(code: number, reason: string) => void>();
  #nextId = 1;
  #closed = false;

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.addEventListener('message', (event) => this.#onMessage(event.data));
    socket.addEventListener('close', (event) => this.#onClose(event.code, event.reason));
  }

  /**
   * Connects and resolves once the socket is open. Rejects with the close code when the
   * node refuses the token (4001 invalid, 4003 not allowed, 4401 expired) or the socket
   * cannot open within `timeoutMs`.
   */
  static open(baseUrl: string, token: string, options: { socket?: SocketFactory; timeoutMs?: number } = {}): Promise<SignalingClient> {
    const url = `${baseUrl.replace(/\/+$/, '')}/ws?access_token=${encodeURIComponent(token)}`;
    const socket = (options.socket ?? ((u) => new WebSocket(u)))(url);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.close();
        reject(new SignalingRequestError('timeout', 'the media node did not answer'));
      }, options.timeoutMs ?? 10_000);
      socket.addEventListener('open', () => {
        clearTimeout(timer);
        resolve(new SignalingClient(socket));
      });
      socket.addEventListener('close', (event) => {
        clearTimeout(timer);
        reject(new SignalingClosedError(event.code, event.reason));
      });
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends a request and resolves with its response data; rejects with SignalingRequestError. */
  request(message: OutgoingRequest, timeoutMs = REQUEST_TIMEOUT_MS): Promise<unknown> {
    if (this.#closed) return Promise.reject(new SignalingRequestError('closed', 'not connected'));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new SignalingRequestError('timeout', `${message.method} got no answer`));
        // The node answers every request: silence this long means the connection is dead
        // even if the socket has not noticed (a dropped network sends no close).
        this.abort('no answer from the media node');
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.#socket.send(JSON.stringify({ id, ...message }));
    });
  }

  /** Sends a request and parses its response data with `schema`. */
  async call<T>(message: OutgoingRequest, schema: z.ZodType<T>, timeoutMs?: number): Promise<T> {
    const data = await this.request(message, timeoutMs);
    const parsed = schema.safeParse(data);
    if (!parsed.success) throw new SignalingRequestError('internal', `${message.method}: unexpected response`);
    return parsed.data;
  }

  onNotification(listener: (notification: SignalingNotification) => void): () => void {
    this.#notificationListeners.add(listener);
    return () => this.#notificationListeners.delete(listener);
  }

  onClose(listener: (code: number, reason: string) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Closes the socket (1000); listeners are not told (the caller knows). */
  close(): void {
    if (this.#closed) return;
    this.#closeListeners.clear();
    this.#notificationListeners.clear();
    this.#socket.close(1000, 'client closed');
    this.#onClose(1000, 'client closed');
  }

  /**
   * Drops a connection that is dead without a close (network gone): close listeners hear
   * code 4000, so the caller reconnects. No-op once closed.
   */
  abort(reason: string): void {
    if (this.#closed) return;
    try {
      this.#socket.close(4000, reason);
    } catch {
      // Closing a socket that never finished its handshake can throw; it is gone either way.
    }
    this.#onClose(SIGNALING_ABORT_CODE, reason);
  }

  #onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      console.warn('signaling: a frame that is not JSON');
      return;
    }
    if (frame !== null && typeof frame === 'object' && 'id' in frame) {
      const response = responseSchema.safeParse(frame);
      if (!response.success || typeof response.data.id !== 'number') return;
      const pending = this.#pending.get(response.data.id);
      if (!pending) return;
      this.#pending.delete(response.data.id);
      clearTimeout(pending.timer);
      if (response.data.ok) pending.resolve(response.data.data);
      else pending.reject(new SignalingRequestError(response.data.error.code as SignalingErrorCode, response.data.error.message));
      return;
    }
    const notification = signalingNotificationSchema.safeParse(frame);
    if (!notification.success) {
      console.warn('signaling: a notification that does not match the protocol', (frame as { method?: unknown }).method);
      return;
    }
    for (const listener of [...this.#notificationListeners]) listener(notification.data);
  }

  #onClose(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const pending of this.#pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(new SignalingRequestError('closed', 'the connection closed'));
    }
    this.#pending.clear();
    for (const listener of this.#closeListeners) listener(code, reason);
    this.#closeListeners.clear();
    this.#notificationListeners.clear();
  }
}

/** The socket closed before it opened (the node refused the token, or went away). */
export class SignalingClosedError extends Error {
  readonly code: number;
  constructor(code: number, reason: string) {
    super(reason || `closed with ${code}`);
    this.name = 'SignalingClosedError';
    this.code = code;
  }
}
