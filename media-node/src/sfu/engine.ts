import type { ParticipantRole } from '@huddle/db';
import type { MediaBackend, MediaState, RoomMedia, SfuRequest, SignalingNotification } from '@huddle/protocol';
import type { Result } from '../signaling/types.ts';

// The SFU behind a media node, as the signaling layer sees it. One engine per node
// (SFU_ENGINE); one SfuRoom per open meeting room. Ownership follows mediasoup-demo's
// Server → Room → Peer tree: the signaling Room creates its SfuRoom when it opens and
// closes it when it closes; the SfuRoom owns every SFU resource of the meeting on this
// node (routers, transports, producers, consumers, or the LiveKit room handle) and
// closes children before itself. `close()` is idempotent everywhere.
//
// Engines: media-node/src/sfu/mediasoup/ (default on a VM) and media-node/src/sfu/livekit/
// (deployments beyond one VM). The engine of a meeting is fixed when the edge places it
// on a node: the node's engine.

/** A participant as the SFU side of a room knows it (after a successful `join`). */
export interface SfuParticipant {
  userId: string;
  /** The signaling connection's id: a newer connection of the same user has another. */
  peerId: string;
  /** Display name. */
  name: string;
  role: ParticipantRole;
}

/** One speaker's audio level (ActiveSpeaker/AudioLevel observers, LiveKit speaker updates). */
export interface SpeakerLevel {
  userId: string;
  /** dBov, −127 (silence) … 0 (loudest). */
  volume: number;
}

/** How an SfuRoom talks back to its signaling room. Calls never throw and never block. */
export interface SfuRoomEvents {
  /** Delivers a notification (sfu.newConsumer, sfu.consumerClosed, …) to one local participant. */
  notify(userId: string, notification: SignalingNotification): void;
  /**
   * The SFU's view of a participant's media changed (a producer opened, closed, paused
   * or resumed; a LiveKit track was published, unpublished or muted). The room merges
   * it into the participant and announces `participant.updated`.
   */
  mediaChanged(userId: string, change: Partial<MediaState>): void;
  /** The dominant speaker changed (null: nobody speaks). → `speaker.active`. */
  activeSpeaker(userId: string | null): void;
  /** Audio levels of the loudest speakers, already throttled. → `speaker.levels`. */
  audioLevels(levels: SpeakerLevel[]): void;
}

/**
 * Decoded audio of the meeting's speakers for captions and talk time: 16 kHz mono
 * signed 16-bit PCM, in frames of any length, per speaker.
 */
export interface AudioTapSink {
  /**
   * A frame of one speaker's microphone. `atMs`: wall-clock time (ms since the epoch)
   * of the frame's first sample as the node received it.
   */
  onAudio(userId: string, pcm: Int16Array, atMs: number): void;
  /** The speaker's microphone is gone (unpublished, left): flush what is buffered. */
  onSpeakerGone(userId: string): void;
}

/** Facts about the SFU resources one engine holds, for /metrics and tests. */
export interface SfuCounts {
  rooms: number;
  transports: number;
  producers: number;
  consumers: number;
}

/** The SFU side of one meeting's room on this node. */
export interface SfuRoom {
  readonly meetingId: string;
  /** Where clients send media, for the `join` response. */
  media(): RoomMedia;
  /** A participant joined the signaling room (after the membership checks). */
  join(participant: SfuParticipant): Promise<void>;
  /**
   * A participant left the room for any reason (left, disconnected, removed, replaced):
   * close everything of theirs. Resolves when it is closed; never throws.
   */
  leave(userId: string, peerId: string): Promise<void>;
  /**
   * One `sfu.*` request of a joined participant. Bad input (unknown ids, ids of another
   * participant, parameters the SFU cannot take, a second producer for a source) is an
   * error result, never a throw, and changes nothing.
   */
  handle(userId: string, request: SfuRequest): Promise<Result>;
  /**
   * host.mute: stops the participant's microphone on the server (pauses the mediasoup
   * producer and tells its owner; LiveKit mutePublishedTrack). Resolves false when the
   * participant publishes no microphone.
   */
  muteMicrophone(userId: string, byUserId: string): Promise<boolean>;
  /** host.remove: disconnects the participant's media (LiveKit removeParticipant). */
  removeParticipant(userId: string): Promise<void>;
  /**
   * Starts (sink) or stops (undefined) the audio tap of every current and future
   * microphone in the meeting. Stopped means no audio leaves the SFU for captions.
   */
  setAudioTap(sink: AudioTapSink | undefined): Promise<void>;
  /**
   * A message of the engine's own on the meeting's Redis channel (`type: 'sfu.event'`),
   * from any node (the sender included). Optional: engines that need no cross-node
   * facts leave it out. LiveKit: webhook effects for the node holding the participant.
   */
  onChannelMessage?(message: unknown): void;
  /**
   * While the user's media session outlives their signaling connection (LiveKit: still
   * in the LiveKit room), the roster connection id it holds (`livekit:<sid>`); else
   * undefined. The room then keeps the user in the meeting when their signaling goes.
   */
  mediaPresence?(userId: string): string | undefined;
  /** The meeting ended: end its media for everyone (LiveKit deleteRoom), then close. */
  end(): Promise<void>;
  /** Closes every resource of the meeting on this node; idempotent, children first. */
  close(): Promise<void>;
  readonly closed: boolean;
}

/** The SFU of this node. */
export interface SfuEngine {
  readonly backend: MediaBackend;
  /** False while the engine cannot host media (no live worker, LiveKit unreachable). */
  readonly available: boolean;
  /** LiveKit engine: the server URL clients send media to (published in the registry). */
  readonly livekitUrl?: string;
  /** Opens the SFU side of a meeting's room. Throws when the engine is unavailable. */
  openRoom(meetingId: string, events: SfuRoomEvents): Promise<SfuRoom>;
  /**
   * Disconnects a participant's media from a meeting whether or not its room is open on
   * this node (LiveKit: RoomServiceClient.removeParticipant — a participant who joined
   * the LiveKit room directly with a token that is no longer honoured). Engines whose
   * media only exists through this node's rooms leave it out.
   */
  disconnect?(meetingId: string, userId: string): Promise<void>;
  /** What the engine holds now. */
  counts(): SfuCounts;
  /** Closes every room and the engine itself; idempotent. */
  close(): Promise<void>;
}
