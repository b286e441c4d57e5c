import type { Logger } from 'pino';
import { WebSocket, type RawData } from 'ws';
import { SIGNALING_CLOSE_CODES, type ServerFrame } from '@huddle/protocol';
import type { MediaMetrics } from '../metrics.ts';

/** Limits of one connection's writer. */
export interface ConnectionLimits {
  /** Frames waiting in the send queue before the client counts as slow (1013). */
  sendQueueMax: number;
  /** Bytes the socket may hold unflushed before the writer stops handing it frames. */
  socketHighWaterBytes: number;
  /** After a close frame, how long to wait for the close handshake before destroying the socket, in ms. */
  closeGraceMs: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  sendQueueMax: 256,
  socketHighWaterBytes: 256 * 1024,
  closeGraceMs: 5_000,
};

/**
 * One client WebSocket: a single reader (frames handed to `onFrame` in order) and a single
 * writer with a bounded queue. `send()` never blocks and never awaits the socket: a frame
 * goes into the queue, and the writer hands frames to the socket only while the socket's
 * own buffer is below the high-water mark. A full queue closes the connection with 1013, so
 * one slow client can never hold up a room's broadcast.
 */
export class Connection {
  readonly #ws: WebSocket;
  readonly #limits: ConnectionLimits;
  readonly #metrics: MediaMetrics;
  readonly #log: Logger;
  readonly #queue: (string | Buffer)[] = [];
  readonly #onWritten = (error?: Error) => {
    if (error) return; // the socket is closing; 'close' follows
    this.#pump();
  };
  #alive = true;
  #closed = false;
  #closeListeners: ((code: number, reason: string) => void)[] = [];

  constructor(ws: WebSocket, limits: ConnectionLimits, metrics: MediaMetrics, log: Logger) {
    this.#ws = ws;
    this.#limits = limits;
    this.#metrics = metrics;
    this.#log = log;
    metrics.connections.inc();
    ws.on('pong', () => {
      this.#alive = true;
    });
    ws.on('error', (error) => this.#log.debug({ err: error.message }, 'socket error'));
    ws.on('close', (code, reason) => this.#finish(code, reason.toString()));
  }

  /** Registers the reader: every frame in order of arrival; `null` for a binary frame (not part of the protocol). */
  onFrame(handler: (text: string | null) => void): void {
    this.#ws.on('message', (data: RawData, isBinary: boolean) => {
      if (this.#closed) return;
      this.#metrics.messagesIn.inc();
      handler(isBinary ? null : rawToString(data));
    });
  }

  /** Stops reading from the socket (TCP backpressure on a client that floods requests). */
  pauseReading(): void {
    if (!this.#closed) this.#ws.pause();
  }

  /** Reads again after pauseReading(). */
  resumeReading(): void {
    if (!this.#closed) this.#ws.resume();
  }

  /** Called once when the connection is gone (closed by either side, or terminated). */
  onClose(listener: (code: number, reason: string) => void): void {
    if (this.#closed) listener(1006, 'closed');
    else this.#closeListeners.push(listener);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Frames waiting in the queue (not yet handed to the socket). */
  get queuedFrames(): number {
    return this.#queue.length;
  }

  /** Queues a frame; false when the connection is closed or was just closed as slow. */
  send(frame: ServerFrame): boolean {
    return this.sendRaw(JSON.stringify(frame));
  }

  /**
   * Queues pre-serialised JSON. A broadcast passes one UTF-8 Buffer to every recipient, so
   * the text is encoded once, not once per socket.
   */
  sendRaw(json: string | Buffer): boolean {
    if (this.#closed || this.#ws.readyState !== WebSocket.OPEN) return false;
    if (this.#queue.length >= this.#limits.sendQueueMax) {
      this.#metrics.queueDrops.inc();
      this.#log.warn({ queued: this.#queue.length, bufferedBytes: this.#ws.bufferedAmount }, 'slow client: send queue full');
      this.close(SIGNALING_CLOSE_CODES.slowClient, 'slow client: send queue overflow');
      return false;
    }
    this.#queue.push(json);
    this.#metrics.messagesOut.inc();
    this.#pump();
    return true;
  }

  #pump(): void {
    const ws = this.#ws;
    while (this.#queue.length > 0 && ws.readyState === WebSocket.OPEN && ws.bufferedAmount < this.#limits.socketHighWaterBytes) {
      ws.send(this.#queue.shift()!, TEXT_FRAME, this.#onWritten);
    }
  }

  /**
   * Heartbeat tick: false when the previous ping was never answered (the caller then
   * terminates the connection), otherwise sends the next ping.
   */
  heartbeat(): boolean {
    if (this.#closed) return true;
    if (!this.#alive) return false;
    this.#alive = false;
    try {
      this.#ws.ping();
    } catch (error) {
      this.#log.debug({ err: error instanceof Error ? error.message : String(error) }, 'ping failed');
    }
    return true;
  }

  /**
   * Closes with a code and reason; frames still queued are dropped. The close frame
   * follows what the socket already holds; if the handshake does not finish within
   * closeGraceMs the socket is destroyed. Safe to call more than once.
   */
  close(code: number, reason: string): void {
    if (this.#queue.length > 0) this.#queue.length = 0;
    const ws = this.#ws;
    if (ws.readyState === WebSocket.CLOSED) return;
    if (ws.readyState === WebSocket.OPEN) {
      ws.close(code, reason.slice(0, 120));
      setTimeout(() => ws.terminate(), this.#limits.closeGraceMs).unref();
      this.#finish(code, reason);
    } else if (ws.readyState === WebSocket.CONNECTING) {
      ws.terminate();
    }
  }

  /** Drops the connection at once, without a close handshake (dead peers). */
  terminate(): void {
    this.#queue.length = 0;
    this.#ws.terminate();
    this.#finish(1006, 'terminated');
  }

  #finish(code: number, reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.length = 0;
    this.#metrics.connections.dec();
    const listeners = this.#closeListeners;
    this.#closeListeners = [];
    for (const listener of listeners) listener(code, reason);
  }
}

const TEXT_FRAME = { binary: false } as const;

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
