import type { Logger } from 'pino';
import {
  aiResultEventSchema,
  MEETING_NODE_TTL_SECONDS,
  mediaNodeRegistryKeys,
  meetingEventSchema,
  redisKeys,
  roomCommandSchema,
  roomRelaySchema,
  SIGNALING_CLOSE_CODES,
  type LeaveReason,
  type MediaState,
  type Participant,
  type RoomCommand,
  type RoomMedia,
  type RoomRelay,
  type SfuRequest,
  type SignalingNotification,
  aiResultPublicationSchema,
} from '@huddle/protocol';
import type { RoomCaptions } from '../captions/room-captions.ts';
import { RoomLobby } from '../lobby/room-lobby.ts';
import type { SfuRoom, SfuRoomEvents, SpeakerLevel } from '../sfu/engine.ts';
import { countChatMessage } from '../stores/chat-count.ts';
import { InvalidCursorError } from '../stores/chat-store.ts';
import { endMeeting, publishMeetingEvent, type EndMeetingResult } from '../stores/meetings.ts';
import { markLeft, markRemoved } from '../stores/participants.ts';
import { REMOVED, type Refusal } from './admission.ts';
import type { Peer } from './peer.ts';
import { assertNever, errorMessage, fail, ok, type Result, type SignalingContext } from './types.ts';

type MeetingEndedNotification = Extract<SignalingNotification, { method: 'meeting.ended' }>;

/** How often an open room refreshes its meeting's sticky node assignment, in ms. */
const STICKY_REFRESH_MS = 60_000;

// Refresh the sticky assignment only while it still names this node.
const REFRESH_STICKY = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/**
 * One meeting's room on this node: its local peers, and its share of the meeting's
 * Redis channel (events from other nodes, the edge and the AI pool). Built by
 * `create()` (subscribes), closed a moment after its last local peer leaves or when the
 * meeting ends; `close()` is idempotent and closes its peers first.
 */
export class Room {
  readonly meetingId: string;
  readonly channel: string;
  /** The meeting's lobby, as this room's hosts and cohosts see it. */
  readonly lobby: RoomLobby;
  readonly #ctx: SignalingContext;
  readonly #log: Logger;
  readonly #peers = new Map<string, Peer>();
  readonly #closeListeners: (() => void)[] = [];
  #idleTimer: NodeJS.Timeout | undefined;
  #stickyTimer: NodeJS.Timeout | undefined;
  /** The meeting's SFU resources on this node; undefined when the node has no SFU. */
  #sfu: SfuRoom | undefined;
  #sfuClosing = false;
  /** Live captions and talk time (the SFU room's audio tap while the settings allow it). */
  #captions: RoomCaptions | undefined;
  #activeSpeaker: string | null = null;
  #ended = false;
  #closed = false;

  private constructor(ctx: SignalingContext, meetingId: string) {
    this.#ctx = ctx;
    this.meetingId = meetingId;
    this.channel = redisKeys.meetingEvents(meetingId);
    this.#log = ctx.log.child({ meetingId });
    this.lobby = new RoomLobby(ctx, meetingId, () => this.#peers.values(), this.#log);
  }

  /**
   * Opens the room; `subscribe` puts the room on the node's subscriber connection
   * (the MediaServer's) before the first peer can join.
   */
  static async create(ctx: SignalingContext, meetingId: string, subscribe: (channel: string) => Promise<void>): Promise<Room> {
    const room = new Room(ctx, meetingId);
    if (ctx.sfu?.available) {
      try {
        room.#sfu = await ctx.sfu.openRoom(meetingId, room.#sfuEvents());
      } catch (error) {
        // Signaling, chat and captions still work; sfu.* requests answer `unavailable`.
        room.#log.error({ err: errorMessage(error) }, 'opening the SFU room failed');
      }
    }
    try {
      await subscribe(room.channel);
    } catch (error) {
      await room.#sfu?.close();
      throw error;
    }
    room.#captions = ctx.captions?.open({
      meetingId,
      sfu: room.#sfu,
      broadcast: (n) => room.broadcast(n),
      deliverLocal: (n) => room.deliverLocal(n),
      notify: (userId, n) => void room.#peers.get(userId)?.send(n),
      participantName: (userId) => room.#peers.get(userId)?.identity.name,
    });
    room.#refreshSticky();
    room.#stickyTimer = setInterval(() => room.#refreshSticky(), STICKY_REFRESH_MS);
    room.#stickyTimer.unref();
    room.#log.info('room opened');
    return room;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Local peers in the room. */
  get size(): number {
    return this.#peers.size;
  }

  /** The SFU side of the room, if the node runs an SFU. */
  get sfu(): SfuRoom | undefined {
    return this.#sfu;
  }

  /** Where the meeting's media runs, as the `join` response tells it. */
  media(): RoomMedia {
    return this.#sfu && !this.#sfu.closed ? this.#sfu.media() : { backend: this.#ctx.sfuBackend, available: false };
  }

  /** Called once when the room has closed. */
  onClose(listener: () => void): void {
    if (this.#closed) listener();
    else this.#closeListeners.push(listener);
  }

  // -------------------------------------------------------------------------------------
  // Peers
  // -------------------------------------------------------------------------------------

  /**
   * Adds a peer whose join was admitted (admission.ts admitToRoom already marked them
   * joined in Postgres), replacing an older connection of the same user, and announces it.
   */
  async addPeer(peer: Peer): Promise<Result<{ self: Participant; participants: Participant[]; media: RoomMedia }>> {
    if (this.#closed || this.#ended) return fail('forbidden', 'the meeting has ended');
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    const older = this.#peers.get(peer.userId);
    if (older && older !== peer) {
      this.#peers.delete(peer.userId);
      older.detachFromRoom();
      older.close(SIGNALING_CLOSE_CODES.replaced, 'replaced by a newer connection', 'replaced');
      await this.#sfu?.leave(older.userId, older.id);
    }
    const self: Participant = {
      userId: peer.userId,
      name: peer.identity.name,
      role: peer.identity.role,
      nodeId: this.#ctx.nodeId,
      media: { audio: false, video: false, screen: false },
      handRaised: false,
      joinedAt: new Date().toISOString(),
    };
    peer.participant = self;
    this.#peers.set(peer.userId, peer);
    this.lobby.peersChanged();
    await this.#ctx.roster.put(this.meetingId, peer.id, self);
    await this.#sfu?.join({ userId: peer.userId, peerId: peer.id, name: peer.identity.name, role: peer.identity.role });
    const participants = await this.#liveRoster();
    this.broadcast({ method: 'participant.joined', data: { participant: self } }, peer.userId);
    this.#captions?.participantJoined(peer.userId, peer.identity.name);
    peer.log.info({ userId: peer.userId, role: peer.identity.role }, 'peer joined');
    return ok({ self, participants, media: this.media() });
  }

  /** Removes a peer that disconnected, left or was removed, and tells the others. */
  removePeer(peer: Peer, reason: LeaveReason): void {
    if (this.#peers.get(peer.userId) !== peer) return;
    this.#peers.delete(peer.userId);
    this.lobby.peersChanged();
    void this.#sfu?.leave(peer.userId, peer.id);
    if (this.#activeSpeaker === peer.userId) this.#setActiveSpeaker(null);
    // Still in the meeting through the SFU (a LiveKit connection): the roster entry passes
    // to that connection and nobody is told the user left (sfu/livekit/presence.ts).
    const mediaConnection = reason === 'removed' ? undefined : this.#sfu?.mediaPresence?.(peer.userId);
    if (mediaConnection) void this.#handOverToMedia(peer, mediaConnection);
    else if (reason !== 'replaced') {
      this.broadcast({ method: 'participant.left', data: { userId: peer.userId, reason } });
      void this.#recordLeft(peer);
    }
    if (this.#peers.size === 0 && !this.#closed) {
      this.#idleTimer = setTimeout(() => {
        if (this.#peers.size === 0) this.close();
      }, this.#ctx.roomIdleCloseMs);
      this.#idleTimer.unref();
    }
  }

  async #recordLeft(peer: Peer): Promise<void> {
    try {
      const removed = await this.#ctx.roster.remove(this.meetingId, peer.userId, peer.id);
      // Only the connection that still owned the roster entry records the leave: a user
      // who reconnected elsewhere in the meantime is still in the meeting.
      if (removed) await markLeft(this.#ctx, this.meetingId, [peer.userId]);
    } catch (error) {
      peer.log.warn({ err: errorMessage(error) }, 'recording the leave failed');
    }
  }

  /**
   * A peer was admitted (marked joined) but never made it into the room (its socket
   * closed, or the room ended meanwhile): record the leave, unless another connection
   * of the same user is in the room.
   */
  abandonAdmission(peer: Peer): void {
    if (this.#peers.has(peer.userId)) return;
    markLeft(this.#ctx, this.meetingId, [peer.userId]).catch((error: unknown) =>
      peer.log.warn({ err: errorMessage(error) }, 'recording an abandoned join failed'),
    );
  }

  /**
   * Takes a peer out because it may no longer be here (removed, session revoked): the SFU
   * drops its media (LiveKit: removeParticipant, so the same token cannot keep publishing
   * there), then the socket closes and the others hear `participant.left`.
   */
  evict(peer: Peer, refusal: Refusal): void {
    if (this.#peers.get(peer.userId) === peer) {
      this.#sfu?.removeParticipant(peer.userId).catch((error: unknown) =>
        this.#log.warn({ err: errorMessage(error), userId: peer.userId }, 'SFU removeParticipant failed'),
      );
    }
    peer.close(refusal.closeCode, refusal.reason, refusal.leaveReason);
  }

  async #handOverToMedia(peer: Peer, connectionId: string): Promise<void> {
    try {
      const participant = peer.participant;
      if (participant && (await this.#ctx.roster.remove(this.meetingId, peer.userId, peer.id))) {
        await this.#ctx.roster.put(this.meetingId, connectionId, participant);
      }
    } catch (error) {
      peer.log.warn({ err: errorMessage(error) }, 'handing the roster entry to the media connection failed');
    }
  }

  /** Roster across nodes, without entries of nodes that are no longer registered. */
  async #liveRoster(): Promise<Participant[]> {
    const all = await this.#ctx.roster.list(this.meetingId);
    const otherNodes = [...new Set(all.map((p) => p.nodeId).filter((id) => id !== this.#ctx.nodeId))];
    if (otherNodes.length === 0) return all;
    const keys = mediaNodeRegistryKeys(this.#ctx.registryPrefix);
    const exists = await Promise.all(otherNodes.map((id) => this.#ctx.redis.exists(keys.entry(id))));
    const dead = new Set(otherNodes.filter((_, i) => exists[i] === 0));
    if (dead.size === 0) return all;
    const stale = all.filter((p) => dead.has(p.nodeId));
    await this.#ctx.roster.removeUsers(this.meetingId, stale.map((p) => p.userId));
    this.#log.info({ stale: stale.length }, 'dropped roster entries of nodes that are gone');
    return all.filter((p) => !dead.has(p.nodeId));
  }

  // -------------------------------------------------------------------------------------
  // Requests
  // -------------------------------------------------------------------------------------

  /** chat.send: rate-limited, stored idempotently, then delivered to everyone else. */
  async sendChat(peer: Peer, text: string, clientMsgId: string): Promise<Result> {
    const waitMs = this.#ctx.chatLimiter.take(`${this.meetingId}:${peer.userId}`);
    if (waitMs > 0) return fail('rate_limited', `too many messages; retry in ${waitMs} ms`);
    const saved = await this.#ctx.chat.save({ meetingId: this.meetingId, userId: peer.userId, text, clientMsgId });
    if (saved.status === 'created') {
      this.broadcast({ method: 'chat.message', data: { message: saved.message } }, peer.userId);
      // For meeting_stats.chat_message_count (the edge's /end cannot count MongoDB). Not
      // awaited: the sender's next request need not wait for it (the node's Redis
      // connection keeps the order, so an end read after this message sees it).
      countChatMessage(this.#ctx.redis, this.meetingId).catch((error: unknown) =>
        this.#log.warn({ err: errorMessage(error) }, 'counting the chat message failed'),
      );
    }
    return ok({ message: saved.message, duplicate: saved.status === 'duplicate' });
  }

  /** chat.history: a page of messages, newest first. */
  async chatHistory(before: string | undefined, limit: number): Promise<Result> {
    try {
      return ok(await this.#ctx.chat.history(this.meetingId, { before, limit }));
    } catch (error) {
      if (error instanceof InvalidCursorError) return fail('bad_request', error.message);
      throw error;
    }
  }

  /** media.setState, hand.raise/lower: updates the participant and tells everyone else. */
  /**
   * Merges a change into the participant and announces `participant.updated` when
   * something changed. `exceptUserId` omitted: everyone but the participant (who made the
   * change and reads it in the response); `null`: everyone, the participant included
   * (a change made by someone else: a host, the SFU).
   */
  async updateParticipant(
    peer: Peer,
    change: { media?: Partial<MediaState>; handRaised?: boolean },
    exceptUserId: string | null = peer.userId,
  ): Promise<Result> {
    const current = peer.participant;
    if (!current) return fail('not_joined', 'send join first');
    const media: MediaState = {
      audio: change.media?.audio ?? current.media.audio,
      video: change.media?.video ?? current.media.video,
      screen: change.media?.screen ?? current.media.screen,
    };
    const next: Participant = { ...current, media, handRaised: change.handRaised ?? current.handRaised };
    const unchanged =
      next.handRaised === current.handRaised &&
      media.audio === current.media.audio &&
      media.video === current.media.video &&
      media.screen === current.media.screen;
    if (unchanged) return ok({ participant: current });
    peer.participant = next;
    this.broadcast({ method: 'participant.updated', data: { participant: next } }, exceptUserId ?? undefined);
    await this.#ctx.roster.put(this.meetingId, peer.id, next);
    return ok({ participant: next });
  }

  /** host.mute: hosts and cohosts mute anyone's microphone. */
  async hostMute(actor: Peer, userId: string): Promise<Result> {
    if (!actor.identity.roomAdmin) return fail('forbidden', 'only hosts and cohosts may mute others');
    return this.#applyHostAction(actor, 'mute', userId);
  }

  /**
   * host.remove: hosts and cohosts remove a participant from the meeting (connected or
   * not): the row becomes `removed` (out until invited again: no join token from the
   * edge, no socket, no history), the SFU drops their media, and every node closes their
   * sockets of this meeting (`meeting.participantRemoved` on `meeting_events`). Nobody
   * removes the host; only the host removes a cohost.
   */
  async hostRemove(actor: Peer, userId: string): Promise<Result> {
    if (!actor.identity.roomAdmin) return fail('forbidden', 'only hosts and cohosts may remove participants');
    if (userId === actor.userId) return fail('bad_request', 'use leave to leave the room');
    const removal = await markRemoved(this.#ctx, this.meetingId, userId, actor.identity.role);
    if (removal.status === 'not_found') return fail('not_found', 'that user is not a participant of this meeting');
    if (removal.status === 'forbidden') return fail('forbidden', removal.reason);
    this.#log.info({ userId, byUserId: actor.userId }, 'participant removed');
    // Media first (LiveKit: out of its room even when their socket is on another node or
    // gone), this node's socket at once, then every node's (MediaServer, via the firehose).
    await this.#sfu?.removeParticipant(userId).catch((error: unknown) =>
      this.#log.warn({ err: errorMessage(error), userId }, 'SFU removeParticipant failed'),
    );
    const local = this.#peers.get(userId);
    if (local) local.close(REMOVED.closeCode, REMOVED.reason, REMOVED.leaveReason);
    await publishMeetingEvent(
      this.#ctx.redis,
      meetingEventSchema.parse({
        type: 'meeting.participantRemoved',
        meetingId: this.meetingId,
        at: new Date().toISOString(),
        data: { userId, removedBy: actor.userId },
      }),
    );
    // Removed people may not knock on the lobby for a while (nor a guest's address).
    await this.lobby.blockRemoved(userId);
    return ok({ userId });
  }

  async #applyHostAction(actor: Peer, command: RoomCommand['command'], userId: string): Promise<Result> {
    if (this.#peers.has(userId)) {
      await this.#applyCommand(command, userId, actor.userId);
      return ok({ userId });
    }
    const entry = await this.#ctx.roster.entry(this.meetingId, userId);
    if (!entry) return fail('not_found', 'that participant is not in the room');
    if (this.#sfu?.mediaPresence?.(userId) === entry.connectionId) {
      // In the meeting only through the SFU (a LiveKit connection, no signaling anywhere):
      // the action goes to the SFU from here; its events update the roster.
      this.#log.info({ command, userId, byUserId: actor.userId }, 'host action on a media-only participant');
      if (command === 'mute') await this.#sfu.muteMicrophone(userId, actor.userId);
      else await this.#sfu.removeParticipant(userId);
      return ok({ userId });
    }
    const message: RoomCommand = {
      type: 'room.command',
      meetingId: this.meetingId,
      origin: this.#ctx.nodeId,
      command,
      userId,
      byUserId: actor.userId,
    };
    await this.#ctx.redis.publish(this.channel, JSON.stringify(message));
    return ok({ userId });
  }

  async #applyCommand(command: RoomCommand['command'], userId: string, byUserId: string): Promise<void> {
    const target = this.#peers.get(userId);
    if (!target) return;
    this.#log.info({ command, userId, byUserId }, 'host action');
    switch (command) {
      case 'mute':
        // The SFU pauses the microphone on the server (and tells its owner); the state
        // change reaches everyone even when the participant publishes no microphone.
        await this.#sfu?.muteMicrophone(userId, byUserId);
        // Everyone hears of it, the host who muted included (their other devices too).
        await this.updateParticipant(target, { media: { audio: false } }, null);
        return;
      case 'remove':
        // Sent by nodes that predate `meeting.participantRemoved`; still honoured.
        await this.#sfu?.removeParticipant(userId);
        target.close(SIGNALING_CLOSE_CODES.normal, 'removed by the host', 'removed');
        return;
      default:
        assertNever(command);
    }
  }

  /** host.endForAll: the host ends the meeting for everyone, on every node. */
  async hostEndForAll(actor: Peer): Promise<Result> {
    if (actor.identity.role !== 'host') return fail('forbidden', 'only the host may end the meeting for everyone');
    const result = await endMeeting(this.#ctx, this.meetingId);
    const endedAt = result.status === 'ended' ? result.endedAt.toISOString() : new Date().toISOString();
    const notification: MeetingEndedNotification = {
      method: 'meeting.ended',
      data: { meetingId: this.meetingId, endedBy: actor.userId, endedAt },
    };
    // After the response is queued (the socket closes right after it): announce, then end.
    setImmediate(() => {
      void this.#announceEnd(result, notification).finally(() => this.end(notification));
    });
    return ok({ endedAt });
  }

  async #announceEnd(result: EndMeetingResult, notification: MeetingEndedNotification): Promise<void> {
    const { endedAt, endedBy } = notification.data;
    try {
      if (result.status === 'ended') {
        // What the edge does after its own end transaction (the cache was invalidated by
        // endMeeting): the lifecycle event, which reaches every node — they close every
        // socket of the meeting, joined or not — and the release of the node assignment.
        await publishMeetingEvent(
          this.#ctx.redis,
          meetingEventSchema.parse({
            type: 'meeting.ended',
            meetingId: this.meetingId,
            at: endedAt,
            data: { endedAt, endedBy, stats: result.stats },
          }),
        );
        await this.#ctx.redis.del(redisKeys.meetingNode(this.meetingId));
      } else {
        this.#publish(notification);
      }
    } catch (error) {
      this.#log.error({ err: errorMessage(error) }, 'announcing the end of the meeting failed');
    }
  }

  // -------------------------------------------------------------------------------------
  // SFU
  // -------------------------------------------------------------------------------------

  /** ai.summarize: a summary of the last `sinceMinutes` of the meeting's transcript and chat. */
  async summarize(peer: Peer, sinceMinutes: number): Promise<Result> {
    if (!this.#captions) return fail('unavailable', 'summaries are not available on this node');
    return this.#captions.summarize(peer.userId, sinceMinutes);
  }

  /** An `sfu.*` request of a joined peer, handed to the meeting's SFU room. */
  async handleSfu(peer: Peer, request: SfuRequest): Promise<Result> {
    const sfu = this.#sfu;
    if (!sfu || sfu.closed) return fail('unavailable', 'no SFU runs for this meeting on this node right now');
    return sfu.handle(peer.userId, request);
  }

  /** How the SFU room reaches this room: local peers only, and broadcasts for room-wide state. */
  #sfuEvents(): SfuRoomEvents {
    return {
      notify: (userId, notification) => {
        this.#peers.get(userId)?.send(notification);
      },
      mediaChanged: (userId, change) => {
        const peer = this.#peers.get(userId);
        if (!peer?.participant) return;
        // The owner learns it too: a host mute arrives as a state change it did not make.
        void this.updateParticipant(peer, { media: change }, null).catch((error: unknown) =>
          this.#log.warn({ err: errorMessage(error) }, 'media state update failed'),
        );
      },
      activeSpeaker: (userId) => this.#setActiveSpeaker(userId),
      audioLevels: (levels: SpeakerLevel[]) => {
        if (levels.length > 0) this.broadcast({ method: 'speaker.levels', data: { levels: levels.slice(0, 16) } });
      },
    };
  }

  #setActiveSpeaker(userId: string | null): void {
    if (userId === this.#activeSpeaker) return;
    this.#activeSpeaker = userId;
    this.broadcast({ method: 'speaker.active', data: { userId } });
  }

  /** Ends (meeting over) or closes the SFU room; the first call decides. */
  #closeSfu(how: 'end' | 'close'): void {
    const sfu = this.#sfu;
    if (!sfu || this.#sfuClosing) return;
    this.#sfuClosing = true;
    (how === 'end' ? sfu.end() : sfu.close()).catch((error: unknown) =>
      this.#log.warn({ err: errorMessage(error) }, 'closing the SFU room failed'),
    );
  }

  // -------------------------------------------------------------------------------------
  // Fan-out
  // -------------------------------------------------------------------------------------

  /**
   * Delivers a notification to this node's peers (except one user) and relays it to
   * the meeting's other nodes. Serialises once; never waits for a socket.
   */
  broadcast(notification: SignalingNotification, exceptUserId?: string): void {
    this.deliverLocal(notification, exceptUserId);
    this.#publish(notification);
  }

  #publish(notification: SignalingNotification): void {
    const relay: RoomRelay = { type: 'room.relay', meetingId: this.meetingId, origin: this.#ctx.nodeId, notification };
    this.#ctx.redis
      .publish(this.channel, JSON.stringify(relay))
      .catch((error: unknown) => this.#log.warn({ err: errorMessage(error) }, 'relay publish failed'));
  }

  /** Delivers a notification to this node's peers only. */
  deliverLocal(notification: SignalingNotification, exceptUserId?: string): void {
    if (this.#peers.size === 0) return;
    const json = Buffer.from(JSON.stringify(notification));
    for (const [userId, peer] of this.#peers) {
      if (userId !== exceptUserId) peer.connection.sendRaw(json);
    }
  }

  /** A message on the meeting's channel (from another node, the edge or the AI pool). */
  onChannelMessage(raw: string): void {
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      this.#log.warn('non-JSON message on the meeting channel');
      return;
    }
    const envelope = value as { type?: unknown; origin?: unknown } | null;
    const type = envelope?.type;
    // This node's own relays and commands come back on the channel: drop them before parsing.
    if ((type === 'room.relay' || type === 'room.command') && envelope?.origin === this.#ctx.nodeId) return;
    if (type === 'room.relay') {
      const relay = roomRelaySchema.safeParse(value);
      if (relay.success) this.#onRelay(relay.data);
      else this.#log.warn('malformed room.relay message');
    } else if (type === 'room.command') {
      const command = roomCommandSchema.safeParse(value);
      if (command.success) {
        void this.#applyCommand(command.data.command, command.data.userId, command.data.byUserId).catch((error: unknown) =>
          this.#log.warn({ err: errorMessage(error) }, 'host command failed'),
        );
      }
    } else if (type === 'lobby.event') {
      this.lobby.onChannelEvent(value);
    } else if (type === 'sfu.event') {
      // The SFU engine's own cross-node facts (LiveKit webhooks); it validates them.
      this.#sfu?.onChannelMessage?.(value);
    } else if (type === 'ai.result') {
      const event = aiResultEventSchema.safeParse(value);
      if (!event.success) return;
      const publication = this.#captions ? aiResultPublicationSchema.safeParse(value) : undefined;
      if (publication?.success && this.#captions?.onAiResult(publication.data)) return;
      const { type: _type, ...data } = event.data;
      this.deliverLocal({ method: 'ai.result', data });
    } else if (type === 'meeting.ended') {
      const event = meetingEventSchema.safeParse(value);
      if (event.success && event.data.type === 'meeting.ended') {
        this.end({
          method: 'meeting.ended',
          data: { meetingId: this.meetingId, endedBy: event.data.data.endedBy, endedAt: event.data.data.endedAt },
        });
      }
    } else if (type === 'meeting.updated') {
      const event = meetingEventSchema.safeParse(value);
      // Settings changed: captions may have been switched on or off.
      if (event.success && event.data.type === 'meeting.updated' && event.data.data.fields.includes('settings')) {
        void this.#captions?.refresh();
      }
    }
    // Other lifecycle events (meeting.started, ...) do not concern the room.
  }

  #onRelay(relay: RoomRelay): void {
    const n = relay.notification;
    if (n.method === 'meeting.ended') {
      this.end(n);
      return;
    }
    if (n.method === 'participant.joined') {
      // The same user connected on another node: that connection wins.
      const local = this.#peers.get(n.data.participant.userId);
      if (local && n.data.participant.nodeId !== this.#ctx.nodeId) {
        this.#peers.delete(local.userId);
        local.detachFromRoom();
        local.close(SIGNALING_CLOSE_CODES.replaced, 'replaced by a newer connection', 'replaced');
      }
    }
    this.deliverLocal(n);
  }

  /**
   * The meeting ended: tell every local peer, close their sockets normally, drop the
   * roster and close the room. Safe to call more than once.
   */
  end(notification: MeetingEndedNotification): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#log.info({ endedBy: notification.data.endedBy }, 'meeting ended; closing room');
    this.deliverLocal(notification);
    for (const peer of this.#peers.values()) {
      peer.detachFromRoom();
      peer.close(SIGNALING_CLOSE_CODES.normal, 'meeting ended', 'meeting_ended');
    }
    this.#peers.clear();
    this.#ctx.roster.clear(this.meetingId).catch((error: unknown) => this.#log.warn({ err: errorMessage(error) }, 'roster clean-up failed'));
    this.#captions?.end();
    this.#closeSfu('end');
    this.close();
  }

  /**
   * Node shutdown: `room.closing` to every local peer, close 1001, record their leave.
   * Resolves when the leaves are recorded.
   */
  async shutdown(): Promise<void> {
    const peers = [...this.#peers.values()];
    this.#peers.clear();
    const json = JSON.stringify({ method: 'room.closing', data: { reason: 'node_shutdown' } } satisfies SignalingNotification);
    for (const peer of peers) {
      peer.connection.sendRaw(json);
      peer.detachFromRoom();
      peer.close(SIGNALING_CLOSE_CODES.goingAway, 'media node shutting down', 'node_shutdown');
      this.#publish({ method: 'participant.left', data: { userId: peer.userId, reason: 'node_shutdown' } });
    }
    await Promise.allSettled([...peers.map((peer) => this.#recordLeft(peer)), this.#sfu?.close()]);
    this.close();
  }

  #refreshSticky(): void {
    this.#ctx.redis
      .eval(REFRESH_STICKY, 1, redisKeys.meetingNode(this.meetingId), this.#ctx.nodeId, String(MEETING_NODE_TTL_SECONDS))
      .catch((error: unknown) => this.#log.warn({ err: errorMessage(error) }, 'sticky assignment refresh failed'));
  }

  /** Closes the room: its peers first, then its timers; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#idleTimer);
    clearInterval(this.#stickyTimer);
    this.lobby.close();
    for (const peer of this.#peers.values()) {
      peer.detachFromRoom();
      peer.close(SIGNALING_CLOSE_CODES.normal, 'room closed', 'disconnected');
    }
    this.#peers.clear();
    this.#captions?.close();
    this.#closeSfu('close');
    this.#log.info('room closed');
    for (const listener of this.#closeListeners.splice(0)) listener();
  }
}
