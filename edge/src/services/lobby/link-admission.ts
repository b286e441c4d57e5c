import { sql } from 'drizzle-orm';
import type { ParticipantRole } from '@huddle/db';
import { redisKeys, resolveMeetingSettings } from '@huddle/protocol';
import type { RequestDeps } from '../../env.ts';
import { ApiError, conflict } from '../../lib/api-error.ts';
import { afterMeetingWrite, meetingEvent } from '../meeting-events.ts';
import { invalidState, meetingNotFound } from '../meeting-guards.ts';
import { MEETING_PARTICIPANTS_MAX } from '../meeting-invitees.ts';
import { issueJoinGrant, type JoinGrant } from '../join.ts';
import { rawRedis } from './raw-redis.ts';

/** 403 `meeting_locked`: the host locked the meeting, nobody new enters. */
export const meetingLocked = (): ApiError => new ApiError(403, 'meeting_locked', 'The host has locked this meeting: nobody new can enter.');

/** Someone a host let in (or who needs no lobby), about to become a participant. */
export interface Entrant {
  kind: 'user' | 'guest';
  userId: string;
  /** Shown to the others (a guest's typed name; a user's full name or username). */
  displayName: string;
  /** The address a guest knocked from: a later removal blocks it too. */
  ip?: string;
  /** The session the join token is bound to: the user's login session, or the guest's session. */
  sessionId: string;
}

/**
 * Makes `entrant` a participant of `meetingId` and returns their join grant. In one
 * transaction, with the meeting row locked (as invitations lock it): the meeting must be
 * scheduled or ongoing (409 otherwise) and, for anyone not already in it, not locked (403
 * `meeting_locked`), a guest's `users` row is written (status
 * `guest`, no usable password), and the participant row becomes `accepted` — new for
 * people entering with the link (role `guest` or `attendee`); a row that was declined or
 * removed is accepted again with a new `invited_at` (older join tokens stay void); any
 * other row is left as it is. At most MEETING_PARTICIPANTS_MAX participants (409
 * `participant_limit`). Idempotent: admitting the same entrant twice changes nothing.
 */
export async function admitEntrant(
  deps: RequestDeps,
  meetingId: string,
  entrant: Entrant,
  /** The host or cohost who let them in; the entrant themselves where no lobby applied. */
  admittedBy: string,
): Promise<JoinGrant> {
  const { db } = deps.db();
  const { role, invitedAt, added } = await db.transaction(async (tx) => {
    const [meeting] = await tx.execute<{ status: string; settings: unknown }>(
      sql`select status, settings from meetings where id = ${meetingId} for no key update`,
    );
    if (!meeting) throw meetingNotFound();
    if (meeting.status !== 'scheduled' && meeting.status !== 'ongoing') {
      throw invalidState(meeting.status as 'ended', `Nobody can enter a ${meeting.status} meeting.`);
    }
    // Locked means nobody new: also whoever was let in but had not yet taken their grant
    // (a host who admitted a raid by mistake locks the meeting to stop it). Participants
    // already in keep their place.
    if (resolveMeetingSettings(meeting.settings).locked) {
      const [current] = await tx.execute<{ status: string }>(
        sql`select status from meeting_participants where meeting_id = ${meetingId} and user_id = ${entrant.userId}`,
      );
      if (!current || current.status === 'declined' || current.status === 'removed') throw meetingLocked();
    }
    if (entrant.kind === 'guest') {
      // A guest row per visit: never invitable (status guest), no password that any hash matches.
      const hex = entrant.userId.replaceAll('-', '');
      await tx.execute(sql`
        insert into users (id, username, email, password_hash, full_name, status)
        values (${entrant.userId}, ${`guest-${hex.slice(0, 26)}`}, ${`${hex}@guest.invalid`}, '!guest', ${entrant.displayName}, 'guest')
        on conflict (id) do nothing`);
    }
    const [count] = await tx.execute<{ n: number; mine: number }>(sql`
      select count(*)::int as n, count(*) filter (where user_id = ${entrant.userId})::int as mine
        from meeting_participants where meeting_id = ${meetingId}`);
    if (count && count.mine === 0 && count.n >= MEETING_PARTICIPANTS_MAX) {
      throw conflict('participant_limit', `A meeting has at most ${MEETING_PARTICIPANTS_MAX} participants.`, {
        max: MEETING_PARTICIPANTS_MAX,
      });
    }
    const rows = await tx.execute<{ role: ParticipantRole; invited_at: string | Date }>(sql`
      insert into meeting_participants (meeting_id, user_id, role, status, invited_at)
      values (${meetingId}, ${entrant.userId}, ${entrant.kind === 'guest' ? 'guest' : 'attendee'}, 'accepted', now())
      on conflict (meeting_id, user_id) do update
         set status = 'accepted', invited_at = now()
       where meeting_participants.status in ('declined', 'removed')
      returning role, invited_at`);
    const written = rows[0];
    if (written) return { role: written.role, invitedAt: new Date(written.invited_at), added: true };
    const [existing] = await tx.execute<{ role: ParticipantRole; invited_at: string | Date }>(
      sql`select role, invited_at from meeting_participants where meeting_id = ${meetingId} and user_id = ${entrant.userId}`,
    );
    if (!existing) throw meetingNotFound();
    return { role: existing.role, invitedAt: new Date(existing.invited_at), added: false };
  });
  if (added) {
    await afterMeetingWrite(deps.redis, meetingEvent('meeting.invited', meetingId, { userIds: [entrant.userId], invitedBy: admittedBy }));
  }
  if (entrant.kind === 'guest' && entrant.ip) {
    // Kept as long as the guest's session can live: host.remove blocks this address too.
    await rawRedis(deps).set(redisKeys.lobbyGuestOrigin(meetingId, entrant.userId), entrant.ip, {
      ex: deps.config.lobby.guestSessionTtlSeconds,
    });
  }
  return issueJoinGrant(deps, {
    userId: entrant.userId,
    displayName: entrant.displayName,
    meetingId,
    role,
    sessionId: entrant.sessionId,
    invitedAt,
  });
}
