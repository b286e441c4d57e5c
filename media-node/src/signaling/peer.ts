import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import {
  requestEnvelopeSchema,
  SIGNALING_CLOSE_CODES,
  SIGNALING_LIMITS,
  signalingMethods,
  signalingRequestSchema,
  type LeaveReason,
  type Participant,
  type RequestId,
  type ServerFrame,
  type SignalingRequest,
} from '@huddle/protocol';
import type { Refusal } from './admission.ts';
import type { Connection } from './connection.ts';
import type { JoinIdentity } from './join-token.ts';
import type { Room } from './room.ts';
import { assertNever, errorMessage, fail, ok, type Result } from './types.ts';

/** Requests a peer may have waiting before its socket stops being read (backpressure on the reader). */
const MAX_PENDING_REQUESTS = 32;

/** What a peer asks of its MediaServer. */
export interface PeerHooks {
  /** Opens (or finds) the meeting's room. */
  openRoom(meetingId: string): Promise<Room>;
  /**
   * `join`'s authoritative check: the session lives and the participant row could be
   * marked joined (admission.ts admitToRoom). A refusal when the holder may not enter.
   */
  admit(identity: JoinIdentity): Promise<Refusal | undefined>;
}

/**
 * One participant's signaling session: owns its Connection, reads requests one at a time
 * (a single reader; responses leave in request order) and talks to its Room.
 * Built when the token was accepted; in the room after a successful `join`.
 */
export class Peer {
  /** Unique per connection (a user's newer connection replaces an older one). */
  readonly id = randomUUID();
  readonly identity: JoinIdentity;
  readonly connection: Connection;
  readonly log: Logger;
  readonly #hooks: PeerHooks;
  #room: Room | undefined;
  #participant: Participant | undefined;
  #chain: Promise<void> = Promise.resolve();
  #pending = 0;
  #leaveReason: LeaveReason = 'disconnected';
  #closeListeners: (() => void)[] = [];

  constructor(identity: JoinIdentity, connection: Connection, hooks: PeerHooks, log: Logger) {
    this.identity = identity;
    this.connection = connection;
    this.#hooks = hooks;
    this.log = log.child({ peerId: this.id });
    connection.onFrame((text) => this.#enqueue(text));
    connection.onClose((code, reason) => {
      this.log.info({ code, reason, leaveReason: this.#leaveReason }, 'peer disconnected');
      const room = this.#room;
      this.#room = undefined;
      if (room) room.removePeer(this, this.#leaveReason);
      for (const listener of this.#closeListeners.splice(0)) listener();
    });
  }

  get userId(): string {
    return this.identity.userId;
  }

  /** The participant as others see them (after join). */
  get participant(): Participant | undefined {
    return this.#participant;
  }

  set participant(value: Participant) {
    this.#participant = value;
  }

  get room(): Room | undefined {
    return this.#room;
  }

  /** Called once the peer is gone. */
  onClose(listener: () => void): void {
    if (this.connection.closed) listener();
    else this.#closeListeners.push(listener);
  }

  /** Sends a frame to this client (queued; never blocks). */
  send(frame: ServerFrame): boolean {
    return this.connection.send(frame);
  }

  /**
   * Closes the connection with a code and a reason; `leaveReason` is what the others
   * are told in participant.left. Safe to call more than once.
   */
  close(code: number, reason: string, leaveReason: LeaveReason): void {
    this.#leaveReason = leaveReason;
    this.connection.close(code, reason);
  }

  /**
   * Takes the socket away because its holder may no longer be here (removed, session
   * revoked): through the room when joined, so the SFU drops their media too (LiveKit:
   * removeParticipant), otherwise just the socket.
   */
  revoke(refusal: Refusal): void {
    if (this.#room) this.#room.evict(this, refusal);
    else this.close(refusal.closeCode, refusal.reason, refusal.leaveReason);
  }

  /** Forgets the room without telling it (the room is ending and does its own clean-up). */
  detachFromRoom(): void {
    this.#room = undefined;
  }

  #enqueue(text: string | null): void {
    this.#pending += 1;
    if (this.#pending === MAX_PENDING_REQUESTS) this.connection.pauseReading();
    this.#chain = this.#chain
      .then(() => this.#handleFrame(text))
      .catch((error: unknown) => this.log.error({ err: errorMessage(error) }, 'frame handling failed'))
      .finally(() => {
        this.#pending -= 1;
        if (this.#pending === MAX_PENDING_REQUESTS - 1) this.connection.resumeReading();
      });
  }

  async #handleFrame(text: string | null): Promise<void> {
    if (this.connection.closed) return;
    if (text === null) {
      this.send({ method: 'error', data: { code: 'bad_request', message: 'binary frames are not part of the protocol' } });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.send({ method: 'error', data: { code: 'bad_request', message: 'frame is not valid JSON' } });
      return;
    }
    const envelope = requestEnvelopeSchema.safeParse(value);
    if (!envelope.success) {
      this.send({ method: 'error', data: { code: 'bad_request', message: 'a request needs an id (string or number) and a method' } });
      return;
    }
    const { id, method } = envelope.data;
    if (!(signalingMethods as readonly string[]).includes(method)) {
      this.#respond(id, fail('unknown_method', `unknown method "${method}"`));
      return;
    }
    const parsed = signalingRequestSchema.safeParse(value);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
      this.#respond(id, fail('bad_request', issues.join('; ').slice(0, 500)));
      return;
    }
    let result: Result;
    try {
      result = await this.#dispatch(parsed.data);
    } catch (error) {
      this.log.error({ err: errorMessage(error), method }, 'request failed');
      result = fail('internal', 'the request could not be completed; try again');
    }
    this.#respond(id, result);
  }

  #respond(id: RequestId, result: Result): void {
    this.send(result.ok ? { id, ok: true, data: result.data } : { id, ok: false, error: result.error });
  }

  async #dispatch(request: SignalingRequest): Promise<Result> {
    if (request.method === 'join') return this.#join();
    const room = this.#room;
    if (!room) return fail('not_joined', 'send join first');
    switch (request.method) {
      case 'leave':
        // Respond first, then close: the close frame follows the response on the socket.
        setImmediate(() => this.close(SIGNALING_CLOSE_CODES.normal, 'left', 'left'));
        return ok({});
      case 'chat.send':
        return room.sendChat(this, request.data.text, request.data.clientMsgId);
      case 'chat.history':
        return room.chatHistory(request.data.before, request.data.limit ?? SIGNALING_LIMITS.chatHistoryLimitDefault);
      case 'media.setState':
        return room.updateParticipant(this, { media: request.data });
      case 'hand.raise':
        return room.updateParticipant(this, { handRaised: true });
      case 'hand.lower':
        return room.updateParticipant(this, { handRaised: false });
      case 'host.mute':
        return room.hostMute(this, request.data.userId);
      case 'host.remove':
        return room.hostRemove(this, request.data.userId);
      case 'host.endForAll':
        return room.hostEndForAll(this);
      case 'sfu.getRouterRtpCapabilities':
      case 'sfu.createTransport':
      case 'sfu.connectTransport':
      case 'sfu.restartIce':
      case 'sfu.produce':
      case 'sfu.closeProducer':
      case 'sfu.pauseProducer':
      case 'sfu.resumeProducer':
      case 'sfu.resumeConsumer':
      case 'sfu.setPreferredLayers':
      case 'sfu.setConsumerPriority':
        return room.handleSfu(this, request);
      case 'lobby.list':
      case 'lobby.admit':
      case 'lobby.deny':
      case 'lobby.admitAll':
      case 'lobby.denyAll':
        return room.lobby.handle(this, request);
      case 'ai.summarize':
        return room.summarize(this, request.data.sinceMinutes);
      default:
        return assertNever(request);
    }
  }

  async #join(): Promise<Result> {
    if (this.#room) return fail('already_joined', 'already in the room');
    // Checked now, not only at the upgrade: the meeting may have ended or the holder may
    // have been removed or signed out since the socket opened. The response goes first,
    // then the socket closes with the code an upgrade would have got.
    const refusal = await this.#hooks.admit(this.identity);
    if (refusal) {
      setImmediate(() => this.close(refusal.closeCode, refusal.reason, refusal.leaveReason));
      return fail('forbidden', refusal.reason);
    }
    const room = await this.#hooks.openRoom(this.identity.meetingId);
    if (this.connection.closed) {
      room.abandonAdmission(this);
      return fail('not_joined', 'connection closed');
    }
    this.#room = room;
    try {
      const joined = await room.addPeer(this);
      if (!joined.ok) {
        this.#room = undefined;
        room.abandonAdmission(this);
      }
      return joined;
    } catch (error) {
      // Not in the room after all: the client may retry join.
      this.#room = undefined;
      room.removePeer(this, 'disconnected');
      throw error;
    }
  }
}
