import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Redis } from 'ioredis';
import type { TokenVerifier } from 'livekit-server-sdk';
import { WebSocketServer, type WebSocket } from 'ws';
import { SIGNALING_CLOSE_CODES, SIGNALING_LIMITS } from '@huddle/protocol';
import { AccessGuard, ACCESS_CHANNELS } from './access-guard.ts';
import { admitToRoom, checkAdmission, type Refusal } from './admission.ts';
import { Connection } from './connection.ts';
import { verifyJoinToken, type JoinIdentity } from './join-token.ts';
import { Peer } from './peer.ts';
import { Room } from './room.ts';
import { errorMessage, type SignalingContext } from './types.ts';

/** The path clients open the signaling WebSocket on. */
export const SIGNALING_PATH = '/ws';

export interface MediaServerOptions {
  /** Interval between pings; a peer that has not answered the previous ping by the next one is dropped. */
  pingIntervalMs: number;
  /** Interval of the access sweep that re-checks every socket (AccessGuard), in ms. */
  accessSweepIntervalMs: number;
}

/**
 * Signaling on one node: accepts WebSockets on /ws (token, session and membership
 * checked before the peer exists), owns the rooms (one per meeting, created once even
 * when peers race), the node's Redis subscriber connection (meeting channels, and the
 * `meeting_events` / `session_events` firehoses its AccessGuard acts on) and runs the
 * heartbeat. MediaServer → Room → Peer; `close()` closes rooms (and so peers) first.
 */
export class MediaServer {
  readonly #ctx: SignalingContext;
  readonly #verifier: TokenVerifier;
  readonly #subscriber: Redis;
  readonly #wss: WebSocketServer;
  readonly #rooms = new Map<string, Room>();
  readonly #opening = new Map<string, Promise<Room>>();
  readonly #peers = new Set<Peer>();
  readonly #heartbeat: NodeJS.Timeout;
  readonly #guard: AccessGuard;
  #accepting = true;
  #closing: Promise<void> | undefined;

  private constructor(ctx: SignalingContext, verifier: TokenVerifier, subscriber: Redis, options: MediaServerOptions) {
    this.#ctx = ctx;
    this.#verifier = verifier;
    this.#subscriber = subscriber;
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: SIGNALING_LIMITS.frameBytesMax,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.#guard = new AccessGuard(ctx, ctx.log, { peers: () => this.#peers, room: (id) => this.#rooms.get(id) }, options.accessSweepIntervalMs);
    subscriber.on('message', (channel: string, message: string) => {
      if ((ACCESS_CHANNELS as readonly string[]).includes(channel)) {
        this.#guard.onMessage(channel, message);
        return;
      }
      const room = this.#rooms.get(meetingIdOfChannel(channel));
      if (room?.channel === channel) room.onChannelMessage(message);
    });
    // After a reconnect the subscriber may have missed revocations: check everyone now.
    subscriber.on('ready', () => void this.#guard.sweep());
    this.#heartbeat = setInterval(() => this.#beat(), options.pingIntervalMs);
    this.#heartbeat.unref();
  }

  /**
   * Starts signaling on `http` (upgrade requests to /ws). `subscriber` is a dedicated
   * Redis connection: once subscribed it can run no other commands.
   */
  static async create(
    ctx: SignalingContext,
    http: Server,
    verifier: TokenVerifier,
    subscriber: Redis,
    options: MediaServerOptions,
  ): Promise<MediaServer> {
    if (subscriber.status === 'wait') await subscriber.connect();
    await subscriber.subscribe(...ACCESS_CHANNELS);
    const server = new MediaServer(ctx, verifier, subscriber, options);
    http.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => server.#onUpgrade(request, socket, head));
    return server;
  }

  /** Open signaling connections. */
  get connections(): number {
    return this.#peers.size;
  }

  /** Open rooms. */
  get rooms(): number {
    return this.#rooms.size;
  }

  /** The room of a meeting if it is open on this node. */
  room(meetingId: string): Room | undefined {
    return this.#rooms.get(meetingId);
  }

  /** Re-checks every open socket now (what the periodic sweep does). */
  sweepAccess(): Promise<void> {
    return this.#guard.sweep();
  }

  #onUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== SIGNALING_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    if (!this.#accepting) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    socket.on('error', (error) => this.#ctx.log.debug({ err: error.message }, 'upgrade socket error'));
    // The token is checked before the WebSocket exists; a refusal still completes the
    // handshake so the client (a browser cannot read an HTTP status here) gets a close code.
    const epoch = this.#guard.epoch;
    void this.#admit(url.searchParams.get('access_token') ?? undefined)
      .catch((error: unknown): Refusal => {
        this.#ctx.log.error({ err: errorMessage(error) }, 'admission check failed');
        return { closeCode: 1011, reason: 'server error; try again', leaveReason: 'disconnected' };
      })
      .then((admission) => {
        if (socket.destroyed) return;
        this.#wss.handleUpgrade(request, socket, head, (ws) => {
          if ('identity' in admission && this.#accepting) {
            const peer = this.#accept(ws, admission.identity);
            // A revocation arrived while the checks ran: they may have read the old state.
            if (this.#guard.epoch !== epoch) void this.#guard.recheck(peer);
          } else {
            const refusal: Refusal =
              'identity' in admission
                ? { closeCode: SIGNALING_CLOSE_CODES.goingAway, reason: 'shutting down', leaveReason: 'node_shutdown' }
                : admission;
            this.#ctx.metrics.rejectedConnections.inc({ code: String(refusal.closeCode) });
            ws.close(refusal.closeCode, refusal.reason);
            setTimeout(() => ws.terminate(), 2_000).unref();
          }
        });
      });
  }

  async #admit(token: string | undefined): Promise<{ identity: JoinIdentity } | Refusal> {
    const verified = await verifyJoinToken(this.#verifier, token);
    if (!verified.ok) return { closeCode: verified.closeCode, reason: verified.reason, leaveReason: 'disconnected' };
    return (await checkAdmission(this.#ctx, verified.identity)) ?? { identity: verified.identity };
  }

  #accept(ws: WebSocket, identity: JoinIdentity): Peer {
    const log = this.#ctx.log.child({ meetingId: identity.meetingId, userId: identity.userId });
    const connection = new Connection(ws, this.#ctx.connectionLimits, this.#ctx.metrics, log);
    const peer = new Peer(
      identity,
      connection,
      { openRoom: (meetingId) => this.#openRoom(meetingId), admit: (who) => admitToRoom(this.#ctx, who) },
      log,
    );
    this.#peers.add(peer);
    peer.onClose(() => this.#peers.delete(peer));
    peer.log.debug('peer connected');
    return peer;
  }

  /** The meeting's room, opened once even when several peers join at the same moment. */
  #openRoom(meetingId: string): Promise<Room> {
    const open = this.#rooms.get(meetingId);
    if (open && !open.closed) return Promise.resolve(open);
    let opening = this.#opening.get(meetingId);
    if (!opening) {
      opening = Room.create(this.#ctx, meetingId, (channel) => this.#subscriber.subscribe(channel).then(() => undefined))
        .then((room) => {
          this.#rooms.set(meetingId, room);
          this.#ctx.metrics.rooms.set(this.#rooms.size);
          room.onClose(() => {
            if (this.#rooms.get(meetingId) === room) this.#rooms.delete(meetingId);
            this.#ctx.metrics.rooms.set(this.#rooms.size);
            if (!this.#closing) {
              this.#subscriber
                .unsubscribe(room.channel)
                .catch((error: unknown) => this.#ctx.log.warn({ err: errorMessage(error), meetingId }, 'unsubscribe failed'));
            }
          });
          return room;
        })
        .finally(() => this.#opening.delete(meetingId));
      this.#opening.set(meetingId, opening);
    }
    return opening;
  }

  #beat(): void {
    for (const peer of this.#peers) {
      if (!peer.connection.heartbeat()) {
        this.#ctx.metrics.heartbeatTimeouts.inc();
        peer.log.info('peer missed a heartbeat; dropping it');
        peer.connection.terminate();
      }
    }
  }

  /** Stops taking connections (new upgrades get 503); open ones keep working. */
  stopAccepting(): void {
    this.#accepting = false;
  }

  /**
   * Shutdown: stop accepting, `room.closing` + close 1001 to every peer, leaves recorded,
   * rooms closed, subscriber closed. Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.stopAccepting();
    clearInterval(this.#heartbeat);
    this.#guard.close();
    await Promise.allSettled([...this.#rooms.values()].map((room) => room.shutdown()));
    // Peers that never joined a room get the same notice.
    for (const peer of this.#peers) {
      if (peer.connection.closed) continue;
      peer.send({ method: 'room.closing', data: { reason: 'node_shutdown' } });
      peer.close(SIGNALING_CLOSE_CODES.goingAway, 'media node shutting down', 'node_shutdown');
    }
    // Give the close handshakes a moment, then drop what is left.
    await waitUntil(() => this.#peers.size === 0, 1_000);
    for (const peer of this.#peers) peer.connection.terminate();
    this.#wss.close();
    this.#subscriber.disconnect();
  }
}

/** `meeting:{id}:events` → id. */
const meetingIdOfChannel = (channel: string): string => channel.slice('meeting:'.length, -':events'.length);

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}
