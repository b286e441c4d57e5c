import {
  joinResponseSchema,
  chatMessageSchema,
  lobbyEntrantSchema,
  participantSchema,
  type MediaBackend,
  type SignalingNotification,
} from '@huddle/protocol';
import { z } from 'zod';
import type { LocalSource, MediaAdapter, MediaAdapterEvent, MediaConnectionState } from '../media/adapter.ts';
import { RemoteTracks, type RemoteTrackSnapshot } from '../media/remote-tracks.ts';
import { SignalingClient, SignalingClosedError, SignalingRequestError } from '../signaling/signaling-client.ts';
import { callReducer, initialCallState, type CallAction, type CallState } from './call-state.ts';
import { nextConnectionState, type AttemptFailure, type ConnectionEvent, type ConnectionState } from './connection-machine.ts';

// One call, from Join to the end screen: it joins through the edge (a token and the
// media node's URL), opens signaling, joins the room, connects media through the
// adapter the backend asks for, and keeps all of it alive — after a network drop or a
// node drain it rejoins through the edge (maybe another node) without a page reload.
// The page renders `snapshot()` (useSyncExternalStore) and calls the actions below.

/** What POST /meetings/{id}/join answers. */
export interface JoinGrant {
  backend: MediaBackend;
  url: string;
  token: string;
  livekitUrl?: string;
}

/** The edge's join, failing with a JoinFailure the session can classify. */
export type JoinMeeting = (meetingId: string) => Promise<JoinGrant>;

/** A failed POST /join: its HTTP status (0: no answer) and error code. */
export class JoinFailure extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, code: string | undefined, message: string) {
    super(message);
    this.name = 'JoinFailure';
    this.status = status;
    this.code = code;
  }
}

/** What the user set up in the lobby. */
export interface LocalSetup {
  mic?: MediaStreamTrack;
  camera?: MediaStreamTrack;
  micMuted: boolean;
  cameraOff: boolean;
}

/** Everything the call page renders. Replaced (never mutated) on every change. */
export interface CallSnapshot {
  call: CallState;
  connection: ConnectionState;
  media: MediaConnectionState;
  backend: MediaBackend | null;
  remoteTracks: RemoteTrackSnapshot;
  local: {
    micMuted: boolean;
    cameraOff: boolean;
    camera: MediaStreamTrack | null;
    screen: MediaStreamTrack | null;
    handRaised: boolean;
    /** A microphone was opened (the lobby's): unmuting makes sense. */
    hasMic: boolean;
  };
  /** A short message for the user (host muted you, a request failed); null when none. */
  notice: string | null;
}

export interface CallSessionOptions {
  meetingId: string;
  join: JoinMeeting;
  /** The adapter for a backend (loaded on demand: each SFU client library is large). */
  createAdapter(backend: MediaBackend): MediaAdapter | Promise<MediaAdapter>;
  /** Opens a signaling socket (tests may pass another). */
  openSignaling?: (url: string, token: string) => Promise<SignalingClient>;
  /** The screen to share (getDisplayMedia in the browser). */
  captureScreen?: () => Promise<MediaStreamTrack>;
}

const chatSendResponse = z.object({ message: chatMessageSchema, duplicate: z.boolean().optional() });
const chatHistoryResponse = z.object({ messages: z.array(chatMessageSchema), nextCursor: z.string().nullable() });
const participantResponse = z.object({ participant: participantSchema });
const lobbyListResponse = z.object({ entrants: z.array(lobbyEntrantSchema), waiting: z.number() });
const anyResponse = z.unknown();

/** How often a failed chat send is retried (with the same clientMsgId) before it shows as failed. */
const CHAT_SEND_ATTEMPTS = 3;

/** Classifies a failed reconnect attempt for the state machine. */
export function classifyAttemptError(error: unknown): AttemptFailure {
  if (error instanceof JoinFailure) {
    if (error.status === 401) return { kind: 'fatal', message: 'You were signed out. Sign in and join again.' };
    if (error.status === 404 || error.status === 403) return { kind: 'ended', reason: 'removed' };
    if (error.status === 409) return { kind: 'ended', reason: 'meeting_ended' };
    return { kind: 'retry', message: error.message };
  }
  if (error instanceof SignalingRequestError && error.code === 'forbidden') return { kind: 'ended', reason: 'meeting_ended' };
  return { kind: 'retry', message: error instanceof Error ? error.message : String(error) };
}

export class CallSession {
  readonly meetingId: string;
  readonly #options: CallSessionOptions;
  readonly #listeners = new Set<() => void>();
  readonly #remote = new RemoteTracks();
  #snapshot: CallSnapshot;
  #signaling: SignalingClient | undefined;
  #adapter: MediaAdapter | undefined;
  #adapterOff: (() => void) | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #noticeTimer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #historyLoaded = false;
  /** Chat sends waiting for a connection: clientMsgId → text. */
  readonly #outbox = new Map<string, string>();
  #disposed = false;
  /** Tracks for the next adapter that connects (the lobby's, at first). */
  #pendingSetup: LocalSetup | undefined;
  /** When the user last toggled the microphone (ms): a mute seen right after is their own. */
  #micChangedAt = 0;
  readonly #onOnline = () => this.#machine({ type: 'online' });
  /** The browser lost the network: the socket may not notice for minutes; reconnect as soon as it is back. */
  readonly #onOffline = () => this.#signaling?.abort('the browser went offline');

  constructor(options: CallSessionOptions) {
    this.meetingId = options.meetingId;
    this.#options = options;
    this.#snapshot = {
      call: initialCallState,
      connection: { phase: 'connecting' },
      media: 'connecting',
      backend: null,
      remoteTracks: this.#remote.snapshot,
      local: { micMuted: true, cameraOff: true, camera: null, screen: null, handRaised: false, hasMic: false },
      notice: null,
    };
  }

  // ---------------------------------------------------------------------------------------
  // Store (useSyncExternalStore)
  // ---------------------------------------------------------------------------------------

  readonly subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  readonly snapshot = (): CallSnapshot => this.#snapshot;

  #update(change: Partial<CallSnapshot>): void {
    this.#snapshot = { ...this.#snapshot, ...change };
    for (const listener of this.#listeners) listener();
  }

  #dispatch(action: CallAction): void {
    const call = callReducer(this.#snapshot.call, action);
    if (call !== this.#snapshot.call) this.#update({ call });
  }

  #notice(text: string): void {
    clearTimeout(this.#noticeTimer);
    this.#update({ notice: text });
    this.#noticeTimer = setTimeout(() => this.#update({ notice: null }), 6000);
  }

  // ---------------------------------------------------------------------------------------
  // Lifecycle
  // ---------------------------------------------------------------------------------------

  /** Starts the call with the lobby's tracks. Resolves after the first attempt (successful or not). */
  async start(setup: LocalSetup): Promise<void> {
    this.#pendingSetup = setup;
    this.#update({
      local: {
        ...this.#snapshot.local,
        micMuted: setup.micMuted || !setup.mic,
        cameraOff: setup.cameraOff || !setup.camera,
        camera: setup.camera ?? null,
        hasMic: setup.mic !== undefined,
      },
    });
    globalThis.addEventListener?.('online', this.#onOnline);
    globalThis.addEventListener?.('offline', this.#onOffline);
    await this.#attemptConnect();
  }

  async #attemptConnect(): Promise<void> {
    const attempt = ++this.#attempt;
    this.#teardownSignaling();
    try {
      const grant = await this.#options.join(this.meetingId);
      if (this.#stale(attempt)) return;
      const open = this.#options.openSignaling ?? ((url, token) => SignalingClient.open(url, token));
      const signaling = await open(grant.url, grant.token);
      if (this.#stale(attempt)) {
        signaling.close();
        return;
      }
      this.#signaling = signaling;
      signaling.onNotification((n) => this.#onNotification(n));
      signaling.onClose((code, reason) => {
        if (this.#signaling === signaling) this.#machine({ type: 'signalingClosed', code, reason });
      });
      const joined = await signaling.call({ method: 'join', data: {} }, joinResponseSchema);
      if (this.#stale(attempt)) return;
      this.#dispatch({ type: 'joined', response: joined });
      const adapter = await this.#adapterFor(joined.media.backend);
      await this.#applySetup(adapter);
      await adapter.connect({
        signaling,
        token: grant.token,
        media: { ...joined.media, livekitUrl: joined.media.livekitUrl ?? grant.livekitUrl },
        selfUserId: joined.self.userId,
      });
      if (this.#stale(attempt)) return;
      await this.#syncSelfState(signaling);
      this.#machine({ type: 'connected' });
      void this.#afterConnect(signaling);
    } catch (error) {
      if (this.#stale(attempt)) return;
      if (error instanceof SignalingClosedError) {
        this.#machine({ type: 'signalingClosed', code: error.code, reason: error.message });
        if (this.#snapshot.connection.phase !== 'reconnecting') return;
      }
      this.#machine({ type: 'attemptFailed', failure: classifyAttemptError(error) });
    }
  }

  #stale(attempt: number): boolean {
    return this.#disposed || attempt !== this.#attempt || this.#snapshot.connection.phase === 'ended' || this.#snapshot.connection.phase === 'failed';
  }

  async #adapterFor(backend: MediaBackend): Promise<MediaAdapter> {
    if (this.#adapter?.backend === backend) return this.#adapter;
    this.#adapterOff?.();
    await this.#adapter?.close();
    const adapter = await this.#options.createAdapter(backend);
    this.#adapter = adapter;
    this.#adapterOff = adapter.on((event) => this.#onMediaEvent(event));
    if (this.#snapshot.backend !== null) {
      // The meeting moved to a node with another SFU: the old adapter stopped our tracks.
      this.#update({ local: { ...this.#snapshot.local, micMuted: true, cameraOff: true, camera: null, screen: null, hasMic: false } });
      this.#notice('The meeting moved to another server: turn your camera and microphone back on.');
    }
    this.#update({ backend });
    return adapter;
  }

  /** Gives a fresh adapter the local tracks (once; later connects reuse what it holds). */
  async #applySetup(adapter: MediaAdapter): Promise<void> {
    const setup = this.#pendingSetup;
    if (!setup) return;
    this.#pendingSetup = undefined;
    if (setup.mic) await adapter.publish('mic', setup.mic, { muted: setup.micMuted });
    if (setup.camera) await adapter.publish('camera', setup.camera, { muted: setup.cameraOff });
  }

  /** Tells the room our media state (after every (re)join: the node starts us all off). */
  async #syncSelfState(signaling: SignalingClient): Promise<void> {
    const { local } = this.#snapshot;
    const data = await signaling.call(
      { method: 'media.setState', data: { audio: !local.micMuted, video: !local.cameraOff, screen: local.screen !== null } },
      participantResponse,
    );
    this.#dispatch({ type: 'selfUpdated', participant: data.participant });
    if (local.handRaised) await signaling.request({ method: 'hand.raise', data: {} });
  }

  async #afterConnect(signaling: SignalingClient): Promise<void> {
    try {
      // The latest page on every (re)connect: what was said while we were away is merged
      // in (stored messages are shown once); older pages load on request.
      const page = await signaling.call({ method: 'chat.history', data: { limit: 50 } }, chatHistoryResponse);
      this.#dispatch({ type: 'chatHistory', messages: page.messages, nextCursor: this.#historyLoaded ? this.#snapshot.call.chatCursor : page.nextCursor });
      this.#historyLoaded = true;
      for (const [clientMsgId, text] of this.#outbox) void this.#deliverChat(clientMsgId, text);
      if (this.#moderator) await this.refreshLobby();
    } catch (error) {
      console.warn('after-connect work failed', error);
    }
  }

  #machine(event: ConnectionEvent): void {
    const before = this.#snapshot.connection;
    const after = nextConnectionState(before, event);
    if (after === before) return;
    this.#update({ connection: after });
    if (after.phase === 'reconnecting' && (before.phase !== 'reconnecting' || after.attempt !== before.attempt || after.retryInMs === 0)) {
      clearTimeout(this.#retryTimer);
      this.#teardownSignaling();
      this.#retryTimer = setTimeout(() => void this.#attemptConnect(), after.retryInMs);
    }
    if (after.phase === 'ended' || after.phase === 'failed') void this.#shutdown();
  }

  #teardownSignaling(): void {
    const signaling = this.#signaling;
    this.#signaling = undefined;
    signaling?.close();
  }

  async #shutdown(): Promise<void> {
    clearTimeout(this.#retryTimer);
    globalThis.removeEventListener?.('online', this.#onOnline);
    globalThis.removeEventListener?.('offline', this.#onOffline);
    this.#teardownSignaling();
    this.#adapterOff?.();
    await this.#adapter?.close();
    this.#adapter = undefined;
    this.#remote.clear();
    this.#update({ remoteTracks: this.#remote.snapshot, local: { ...this.#snapshot.local, camera: null, screen: null } });
  }

  /** Closes everything without telling the room (page unmount). */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    clearTimeout(this.#noticeTimer);
    await this.#shutdown();
    this.#listeners.clear();
  }

  // ---------------------------------------------------------------------------------------
  // Events
  // ---------------------------------------------------------------------------------------

  #onNotification(n: SignalingNotification): void {
    switch (n.method) {
      case 'room.closing':
        this.#machine({ type: 'roomClosing' });
        return;
      case 'meeting.ended':
        this.#machine({ type: 'meetingEnded' });
        return;
      case 'participant.left':
        if (this.#remote.removeUser(n.data.userId)) this.#update({ remoteTracks: this.#remote.snapshot });
        break;
      case 'lobby.knock': {
        const { entrant } = n.data;
        this.#notice(`${entrant.name}${entrant.kind === 'guest' ? ' (guest)' : ''} is asking to join.`);
        break;
      }
      case 'participant.updated': {
        const self = this.#snapshot.call.self;
        // Someone else changed our state: a host mute.
        const ownChange = Date.now() - this.#micChangedAt < 3000;
        if (self && n.data.participant.userId === self.userId && self.media.audio && !n.data.participant.media.audio && !ownChange) {
          this.#mutedByHost();
        }
        break;
      }
      default:
        break;
    }
    this.#dispatch({ type: 'notification', notification: n });
  }

  #mutedByHost(): void {
    if (this.#snapshot.local.micMuted) return;
    this.#update({ local: { ...this.#snapshot.local, micMuted: true } });
    void this.#adapter?.setMuted('mic', true);
    // The room tells everyone but the host who asked; our own state change reaches them too.
    void this.#setState({ audio: false });
    this.#notice('A host muted your microphone.');
  }

  #onMediaEvent(event: MediaAdapterEvent): void {
    switch (event.type) {
      case 'connection':
        this.#update({ media: event.state });
        if (event.state === 'lost') this.#machine({ type: 'mediaLost' });
        return;
      case 'activeSpeakers':
        // mediasoup rooms send speaker.active on signaling; LiveKit computes it in the client.
        this.#dispatch({ type: 'activeSpeaker', userId: event.userIds[0] ?? null });
        return;
      case 'localMutedByServer':
        if (event.source === 'mic') this.#mutedByHost();
        return;
      case 'localStopped':
        if (event.source === 'screen') void this.#screenStopped();
        else if (event.source === 'camera') this.#update({ local: { ...this.#snapshot.local, cameraOff: true, camera: null } });
        return;
      default:
        if (this.#remote.apply(event)) this.#update({ remoteTracks: this.#remote.snapshot });
    }
  }

  // ---------------------------------------------------------------------------------------
  // Actions
  // ---------------------------------------------------------------------------------------

  async #setState(data: { audio?: boolean; video?: boolean; screen?: boolean }): Promise<void> {
    const signaling = this.#signaling;
    if (!signaling || signaling.closed) return;
    try {
      const reply = await signaling.call({ method: 'media.setState', data }, participantResponse);
      this.#dispatch({ type: 'selfUpdated', participant: reply.participant });
    } catch (error) {
      console.warn('media.setState failed', error);
    }
  }

  async setMicMuted(muted: boolean): Promise<void> {
    if (!muted && !this.#snapshot.local.hasMic) return;
    this.#micChangedAt = Date.now();
    this.#update({ local: { ...this.#snapshot.local, micMuted: muted } });
    await this.#adapter?.setMuted('mic', muted);
    await this.#setState({ audio: !muted });
  }

  /** Turns the camera on (with `track` when the camera was never opened) or off. */
  async setCameraOff(off: boolean, track?: MediaStreamTrack): Promise<void> {
    const camera = track ?? this.#snapshot.local.camera;
    if (!off && !camera) return;
    this.#update({ local: { ...this.#snapshot.local, cameraOff: off, camera: camera ?? null } });
    if (track) await this.#adapter?.publish('camera', track, { muted: off });
    else await this.#adapter?.setMuted('camera', off);
    await this.#setState({ video: !off });
  }

  /** Replaces the microphone or camera track (device change). */
  async replaceTrack(source: Extract<LocalSource, 'mic' | 'camera'>, track: MediaStreamTrack): Promise<void> {
    const local = this.#snapshot.local;
    await this.#adapter?.publish(source, track, { muted: source === 'mic' ? local.micMuted : local.cameraOff });
    if (source === 'camera') this.#update({ local: { ...this.#snapshot.local, camera: track } });
  }

  async startScreenShare(): Promise<void> {
    if (this.#snapshot.local.screen || !this.#options.captureScreen) return;
    let track: MediaStreamTrack;
    try {
      track = await this.#options.captureScreen();
    } catch {
      this.#notice('Screen sharing was not started.');
      return;
    }
    this.#update({ local: { ...this.#snapshot.local, screen: track } });
    track.addEventListener('ended', () => void this.stopScreenShare());
    await this.#adapter?.publish('screen', track);
    await this.#setState({ screen: true });
  }

  async stopScreenShare(): Promise<void> {
    if (!this.#snapshot.local.screen) return;
    await this.#adapter?.unpublish('screen');
    await this.#screenStopped();
  }

  async #screenStopped(): Promise<void> {
    this.#snapshot.local.screen?.stop();
    this.#update({ local: { ...this.#snapshot.local, screen: null } });
    await this.#setState({ screen: false });
  }

  async setHandRaised(raised: boolean): Promise<void> {
    this.#update({ local: { ...this.#snapshot.local, handRaised: raised } });
    const signaling = this.#signaling;
    if (!signaling || signaling.closed) return;
    try {
      const reply = await signaling.call({ method: raised ? 'hand.raise' : 'hand.lower', data: {} }, participantResponse);
      this.#dispatch({ type: 'selfUpdated', participant: reply.participant });
    } catch (error) {
      console.warn('hand change failed', error);
    }
  }

  /** Sends a chat message; retried with the same clientMsgId (never shown twice) until stored. */
  sendChat(text: string, clientMsgId: string = crypto.randomUUID()): void {
    const self = this.#snapshot.call.self;
    if (!self) return;
    this.#outbox.set(clientMsgId, text);
    this.#dispatch({ type: 'chatSending', clientMsgId, text, userId: self.userId, at: new Date().toISOString() });
    void this.#deliverChat(clientMsgId, text);
  }

  async #deliverChat(clientMsgId: string, text: string): Promise<void> {
    for (let attempt = 1; attempt <= CHAT_SEND_ATTEMPTS; attempt++) {
      const signaling = this.#signaling;
      if (!signaling || signaling.closed) return; // sent again after the reconnect
      try {
        const reply = await signaling.call({ method: 'chat.send', data: { text, clientMsgId } }, chatSendResponse, 5000);
        this.#outbox.delete(clientMsgId);
        this.#dispatch({ type: 'chatStored', message: reply.message });
        return;
      } catch (error) {
        if (error instanceof SignalingRequestError && error.code === 'bad_request') break;
        if (error instanceof SignalingRequestError && error.code === 'closed') return;
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
    this.#dispatch({ type: 'chatFailed', clientMsgId });
  }

  /** Sends a failed chat message again (same clientMsgId). */
  retryChat(clientMsgId: string): void {
    const entry = this.#snapshot.call.chat.find((e) => e.clientMsgId === clientMsgId && e.status === 'failed');
    if (entry) this.sendChat(entry.text, clientMsgId);
  }

  async loadOlderChat(): Promise<void> {
    const cursor = this.#snapshot.call.chatCursor;
    const signaling = this.#signaling;
    if (!cursor || !signaling) return;
    const page = await signaling.call({ method: 'chat.history', data: { before: cursor, limit: 50 } }, chatHistoryResponse);
    this.#dispatch({ type: 'chatHistory', messages: page.messages, nextCursor: page.nextCursor });
  }

  async #hostAction(method: 'host.mute' | 'host.remove', userId: string): Promise<void> {
    try {
      await this.#signaling?.request({ method, data: { userId } });
    } catch (error) {
      this.#notice(error instanceof Error ? error.message : 'That did not work.');
      return;
    }
    // The room announces the change to everyone but the host who asked: apply it here.
    const target = this.#snapshot.call.participants.get(userId);
    if (method === 'host.mute' && target?.media.audio) {
      this.#dispatch({
        type: 'notification',
        notification: { method: 'participant.updated', data: { participant: { ...target, media: { ...target.media, audio: false } } } },
      });
    }
  }

  /** Hosts and cohosts: the lobby is theirs to answer. */
  get #moderator(): boolean {
    const role = this.#snapshot.call.self?.role;
    return role === 'host' || role === 'cohost';
  }

  /** Reads who waits in the lobby (hosts and cohosts; after every (re)join and on request). */
  async refreshLobby(): Promise<void> {
    const signaling = this.#signaling;
    if (!signaling || !this.#moderator) return;
    try {
      const listing = await signaling.call({ method: 'lobby.list', data: { limit: 100 } }, lobbyListResponse);
      this.#dispatch({ type: 'lobbyListed', entrants: listing.entrants, waiting: listing.waiting });
    } catch (error) {
      console.warn('lobby.list failed', error);
    }
  }

  /** Lets one entrant in or turns them away; the room tells every host (lobby.resolved). */
  async answerKnock(ticketId: string, verdict: 'admit' | 'deny'): Promise<void> {
    try {
      await this.#signaling?.call({ method: verdict === 'admit' ? 'lobby.admit' : 'lobby.deny', data: { ticketId } }, anyResponse);
    } catch (error) {
      this.#notice(error instanceof Error ? error.message : 'That did not work.');
      await this.refreshLobby();
    }
  }

  /** Admits or denies everyone waiting (a batch at a time; the list is read again after). */
  async answerAll(verdict: 'admit' | 'deny'): Promise<void> {
    try {
      await this.#signaling?.call({ method: verdict === 'admit' ? 'lobby.admitAll' : 'lobby.denyAll', data: {} }, anyResponse);
    } catch (error) {
      this.#notice(error instanceof Error ? error.message : 'That did not work.');
    }
    await this.refreshLobby();
  }

  muteParticipant(userId: string): Promise<void> {
    return this.#hostAction('host.mute', userId);
  }

  removeParticipant(userId: string): Promise<void> {
    return this.#hostAction('host.remove', userId);
  }

  async endForAll(): Promise<void> {
    try {
      await this.#signaling?.request({ method: 'host.endForAll', data: {} });
    } catch (error) {
      this.#notice(error instanceof Error ? error.message : 'Could not end the meeting.');
      return;
    }
    this.#machine({ type: 'meetingEnded' });
  }

  async leave(): Promise<void> {
    try {
      await this.#signaling?.request({ method: 'leave', data: {} });
    } catch {
      // Leaving anyway: closing the socket tells the room too.
    }
    this.#machine({ type: 'left' });
  }
}
