import type { Logger } from 'pino';
import {
  parseMeetingEvent,
  parseSessionEvent,
  redisKeys,
  SIGNALING_CLOSE_CODES,
  type SignalingNotification,
} from '@huddle/protocol';
import { checkAdmission, checkAdmissions, REMOVED, SESSION_ENDED, type AdmissionStores, type Refusal } from './admission.ts';
import type { Peer } from './peer.ts';
import type { Room } from './room.ts';
import { errorMessage } from './types.ts';

type MeetingEndedNotification = Extract<SignalingNotification, { method: 'meeting.ended' }>;

/** The channels every node subscribes to for revocations. */
export const ACCESS_CHANNELS = [redisKeys.allMeetingEvents, redisKeys.sessionEvents] as const;

/** What the guard needs from its MediaServer. */
export interface AccessGuardHost {
  /** Every open signaling connection of the node, joined or not. */
  peers(): Iterable<Peer>;
  /** The meeting's room, if it is open on this node. */
  room(meetingId: string): Room | undefined;
}

/**
 * Takes sockets away from holders who may no longer have them, on every node:
 * - `meeting.ended` (edge /end or host.endForAll, on `meeting_events`): every socket of
 *   the meeting, joined or not, gets `meeting.ended` and closes 1000;
 * - `meeting.participantRemoved`: every socket of that user in that meeting closes 1000
 *   (the SFU drops their media first);
 * - `session.revoked` (logout, refresh-token reuse, `session_events`): every socket
 *   opened with a token of that session closes 4001.
 * Pub/sub delivers at most once, so a periodic sweep (and one after the subscriber
 * reconnects) re-checks every socket against Postgres and Redis with the admission rule.
 * `epoch` grows with every revocation, so an admission that raced one is checked again.
 */
export class AccessGuard {
  readonly #stores: AdmissionStores;
  readonly #log: Logger;
  readonly #host: AccessGuardHost;
  readonly #timer: NodeJS.Timeout;
  #epoch = 0;
  #sweeping: Promise<void> | undefined;

  constructor(stores: AdmissionStores, log: Logger, host: AccessGuardHost, sweepIntervalMs: number) {
    this.#stores = stores;
    this.#log = log;
    this.#host = host;
    this.#timer = setInterval(() => void this.sweep(), sweepIntervalMs);
    this.#timer.unref();
  }

  /** Grows with every revocation handled (compare before and after an admission). */
  get epoch(): number {
    return this.#epoch;
  }

  /** A message on one of ACCESS_CHANNELS. */
  onMessage(channel: string, message: string): void {
    if (channel === redisKeys.sessionEvents) {
      const event = parseSessionEvent(message);
      if (!event) return;
      this.#epoch += 1;
      this.#revokeWhere((peer) => peer.identity.sessionId === event.sessionId, SESSION_ENDED);
      return;
    }
    const event = parseMeetingEvent(message);
    if (event?.type === 'meeting.ended') {
      this.#epoch += 1;
      this.endMeeting({
        method: 'meeting.ended',
        data: { meetingId: event.meetingId, endedBy: event.data.endedBy, endedAt: event.data.endedAt },
      });
    } else if (event?.type === 'meeting.participantRemoved') {
      this.#epoch += 1;
      const { meetingId } = event;
      const { userId } = event.data;
      this.#revokeWhere((peer) => peer.identity.meetingId === meetingId && peer.userId === userId, REMOVED);
    }
  }

  /** The meeting ended: its room ends (joined sockets), then every other socket of it gets the notice and closes. */
  endMeeting(notification: MeetingEndedNotification): void {
    const { meetingId } = notification.data;
    this.#host.room(meetingId)?.end(notification);
    for (const peer of this.#host.peers()) {
      if (peer.identity.meetingId !== meetingId || peer.connection.closed) continue;
      peer.send(notification);
      peer.close(SIGNALING_CLOSE_CODES.normal, 'meeting ended', 'meeting_ended');
    }
  }

  /** Checks one socket again (its admission raced a revocation). */
  async recheck(peer: Peer): Promise<void> {
    try {
      const refusal = await checkAdmission(this.#stores, peer.identity);
      if (refusal && !peer.connection.closed) peer.revoke(refusal);
    } catch (error) {
      this.#log.warn({ err: errorMessage(error), userId: peer.userId }, 'admission re-check failed');
    }
  }

  /**
   * Re-checks every open socket (sessions in one Redis pipeline, one Postgres query per
   * meeting) and closes those refused. One sweep at a time; errors are logged.
   */
  sweep(): Promise<void> {
    this.#sweeping ??= this.#sweep().finally(() => {
      this.#sweeping = undefined;
    });
    return this.#sweeping;
  }

  async #sweep(): Promise<void> {
    const peers = [...this.#host.peers()].filter((peer) => !peer.connection.closed);
    if (peers.length === 0) return;
    try {
      const refused = await checkAdmissions(
        this.#stores,
        peers.map((peer) => peer.identity),
      );
      for (const peer of peers) {
        const refusal = refused.get(peer.identity);
        if (refusal && !peer.connection.closed) {
          this.#log.info({ userId: peer.userId, meetingId: peer.identity.meetingId, reason: refusal.reason }, 'sweep: closing a socket');
          peer.revoke(refusal);
        }
      }
    } catch (error) {
      this.#log.warn({ err: errorMessage(error) }, 'access sweep failed');
    }
  }

  #revokeWhere(match: (peer: Peer) => boolean, refusal: Refusal): void {
    for (const peer of [...this.#host.peers()]) {
      if (!peer.connection.closed && match(peer)) peer.revoke(refusal);
    }
  }

  /** Stops the sweep timer. */
  close(): void {
    clearInterval(this.#timer);
  }
}
