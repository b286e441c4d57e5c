import type { SignalingNotification } from '@huddle/protocol';
import type { SfuRoom } from '../sfu/engine.ts';

/** What the captions of a meeting need from its signaling room (implemented by Room). */
export interface CaptionsRoom {
  readonly meetingId: string;
  /** The meeting's SFU room on this node, if any: the source of audio. */
  readonly sfu: SfuRoom | undefined;
  /** To this node's peers and the meeting's other nodes. */
  broadcast(notification: SignalingNotification): void;
  /** To this node's peers only. */
  deliverLocal(notification: SignalingNotification): void;
  /** To one local participant. */
  notify(userId: string, notification: SignalingNotification): void;
  /** A local participant's display name. */
  participantName(userId: string): string | undefined;
}
