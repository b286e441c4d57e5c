import { TrackSource, type WebhookEvent, type WebhookReceiver } from 'livekit-server-sdk';
import { z } from 'zod';
import { meetingIdFromRoom, roomRoleValues, type MediaState } from '@huddle/protocol';
import { publishLivekitEvent } from './channel.ts';
import { livekitJoined, livekitLeft, livekitMediaChanged, livekitRoomFinished, type PresenceDeps } from './presence.ts';

/** Redis key that marks a webhook event id as applied (SET NX, WEBHOOK_ID_TTL_SECONDS). */
export const livekitWebhookKey = (eventId: string): string => `livekit:webhook:${eventId}`;
/** How long an applied event id is remembered (LiveKit retries within minutes), in seconds. */
export const WEBHOOK_ID_TTL_SECONDS = 24 * 3_600;

/** What the HTTP route answers. */
export type WebhookOutcome =
  | { status: 200; body: { ok: true; event: string; duplicate?: true; ignored?: string } }
  | { status: 400 | 401; body: { error: { code: string; message: string } } };

const roleSchema = z.enum(roomRoleValues);
const userIdSchema = z.uuid();

const sourceNames: Partial<Record<TrackSource, string>> = {
  [TrackSource.MICROPHONE]: 'microphone',
  [TrackSource.CAMERA]: 'camera',
  [TrackSource.SCREEN_SHARE]: 'screen_share',
};

/** The media state a published (or unpublished) LiveKit track stands for. */
function trackMedia(source: TrackSource, on: boolean): Partial<MediaState> {
  const name = sourceNames[source];
  return name === 'microphone' ? { audio: on } : name === 'camera' ? { video: on } : name === 'screen_share' ? { screen: on } : {};
}

/**
 * `POST /webhooks/livekit`: verifies a LiveKit webhook (WebhookReceiver: the
 * Authorization JWT signed with the API key pair, carrying the body's SHA-256), applies
 * each event id once (Redis SET NX), and applies it: participant_joined / _left → the
 * presence rule of presence.ts (Postgres status, roster, participant.joined / .left);
 * track_published / _unpublished → media state (participant.updated); room_finished →
 * the LiveKit side of the room closes and LiveKit-only participants leave. Effects on
 * signaling peers reach the node that holds them through the meeting channel.
 */
export class LivekitWebhooks {
  readonly #receiver: WebhookReceiver;
  readonly #deps: PresenceDeps;

  constructor(receiver: WebhookReceiver, deps: PresenceDeps) {
    this.#receiver = receiver;
    this.#deps = deps;
  }

  /** Handles one request body with its Authorization header. Throws only when Redis or Postgres fail. */
  async handle(body: string, authorization: string | undefined): Promise<WebhookOutcome> {
    if (!authorization) return unauthorized('Missing Authorization header.');
    let event: WebhookEvent;
    try {
      event = await this.#receiver.receive(body, authorization);
    } catch (error) {
      // Signature, key, expiry or body-hash failures come before the body is parsed.
      const message = error instanceof Error ? error.message : String(error);
      const code = (error as { code?: unknown }).code;
      if ((typeof code === 'string' && code.startsWith('ERR_J')) || /sha256|authorization|token|jwt|signature/i.test(message)) {
        return unauthorized('Invalid webhook signature.');
      }
      return badRequest('The body is not a LiveKit webhook event.');
    }
    if (!event.id || !event.event) return badRequest('The event has no id or name.');
    const fresh = await this.#deps.redis.set(livekitWebhookKey(event.id), '1', 'EX', WEBHOOK_ID_TTL_SECONDS, 'NX');
    if (fresh === null) return { status: 200, body: { ok: true, event: event.event, duplicate: true } };
    try {
      const ignored = await this.#apply(event);
      return { status: 200, body: { ok: true, event: event.event, ...(ignored ? { ignored } : {}) } };
    } catch (error) {
      // Not applied: let LiveKit's retry apply it.
      await this.#deps.redis.del(livekitWebhookKey(event.id)).catch(() => undefined);
      throw error;
    }
  }

  /** Applies a verified, first-seen event. Returns why it was ignored, if it was. */
  async #apply(event: WebhookEvent): Promise<string | undefined> {
    const meetingId = meetingIdFromRoom(event.room?.name ?? '')?.toLowerCase();
    if (!meetingId) return 'not a meeting room';
    const deps = this.#deps;
    if (event.event === 'room_finished') {
      await publishLivekitEvent(deps.redis, meetingId, { kind: 'roomFinished' });
      await livekitRoomFinished(deps, meetingId);
      return undefined;
    }
    const participant = event.participant;
    const userId = participant?.identity.toLowerCase() ?? '';
    if (!participant || !userIdSchema.safeParse(userId).success) return 'not a meeting participant';
    switch (event.event) {
      case 'participant_joined': {
        const media: MediaState = { audio: false, video: false, screen: false };
        for (const track of participant.tracks) Object.assign(media, trackMedia(track.source, !track.muted));
        await publishLivekitEvent(deps.redis, meetingId, { kind: 'presence', userId, sid: participant.sid, present: true });
        await livekitJoined(deps, meetingId, {
          userId,
          sid: participant.sid,
          name: participant.name,
          role: roleSchema.safeParse(participant.attributes.role).data ?? 'attendee',
          media,
          sessionId: participant.attributes.sid,
          invitedAtMs: /^\d{1,15}$/.test(participant.attributes.invitedAt ?? '') ? Number(participant.attributes.invitedAt) : undefined,
        });
        return undefined;
      }
      case 'participant_left':
      case 'participant_connection_aborted':
        await publishLivekitEvent(deps.redis, meetingId, { kind: 'presence', userId, sid: participant.sid, present: false });
        await livekitLeft(deps, meetingId, userId, participant.sid);
        return undefined;
      // LiveKit sends no webhook for mutes: the room's observer reports them (room.ts).
      case 'track_published':
      case 'track_unpublished': {
        const track = event.track;
        if (!track) return 'no track';
        const on = event.event === 'track_published' && !track.muted;
        const change = trackMedia(track.source, on);
        if (Object.keys(change).length === 0) return 'not a microphone, camera or screen';
        await publishLivekitEvent(deps.redis, meetingId, { kind: 'media', userId, change });
        await livekitMediaChanged(deps, meetingId, userId, change);
        return undefined;
      }
      default:
        return 'event not used';
    }
  }
}

const unauthorized = (message: string): WebhookOutcome => ({ status: 401, body: { error: { code: 'unauthorized', message } } });
const badRequest = (message: string): WebhookOutcome => ({ status: 400, body: { error: { code: 'bad_request', message } } });
