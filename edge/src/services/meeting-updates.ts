import { and, eq, inArray } from 'drizzle-orm';
import { meetings, type MeetingSettings, type MeetingStatus } from '@huddle/db';
import { meetingUpdatableFields } from '@huddle/protocol';
import type { RequestDeps } from '../env.ts';
import { conflict } from '../lib/api-error.ts';
import { afterMeetingWrite, meetingEvent } from './meeting-events.ts';
import {
  closedMeetingStatuses,
  currentStatus,
  invalidState,
  meetingNotFound,
  requireRole,
} from './meeting-guards.ts';
import {
  insertInvitees,
  lockInvitableUsers,
  MEETING_PARTICIPANTS_MAX,
  normaliseUserIds,
} from './meeting-invitees.ts';
import { loadMeetingView, loadParticipants, type MeetingView, type ParticipantView } from './meeting-view.ts';

/** Fields a host may change; at least one is set (checked at the boundary). */
export interface UpdateMeetingInput {
  title?: string | undefined;
  startTime?: Date | undefined;
  /** Minutes. */
  duration?: number | undefined;
  /** Replaces the stored settings object as a whole. */
  settings?: MeetingSettings | undefined;
}

type UpdatableField = (typeof meetingUpdatableFields)[number];

/**
 * Host only. Title, duration and settings may change while the meeting is
 * scheduled or ongoing; the start time only while it is scheduled. Ended and
 * cancelled meetings are frozen (409 invalid_state). The status check is part of
 * the UPDATE, so a concurrent /end cannot slip between check and write.
 */
export async function updateMeeting(
  deps: RequestDeps,
  callerId: string,
  meetingId: string,
  input: UpdateMeetingInput,
): Promise<MeetingView> {
  const { db } = deps.db();
  await requireRole(db, meetingId, callerId, ['host'], 'change');

  const set = {
    title: input.title,
    startTime: input.startTime,
    durationMinutes: input.duration,
    settings: input.settings,
  } satisfies Partial<typeof meetings.$inferInsert>;
  const fields: UpdatableField[] = meetingUpdatableFields.filter((field) => input[field] !== undefined);
  const editable: MeetingStatus[] = input.startTime ? ['scheduled'] : ['scheduled', 'ongoing'];

  const [updated] = await db
    .update(meetings)
    .set(set)
    .where(and(eq(meetings.id, meetingId), inArray(meetings.status, editable)))
    .returning({ id: meetings.id });
  if (!updated) {
    const status = await currentStatus(db, meetingId);
    throw invalidState(
      status,
      closedMeetingStatuses.includes(status)
        ? `A ${status} meeting cannot be changed.`
        : `The start time of a ${status} meeting cannot be changed.`,
    );
  }
  await afterMeetingWrite(deps.redis, meetingEvent('meeting.updated', meetingId, { fields }));
  const view = await loadMeetingView(db, meetingId);
  if (!view) throw meetingNotFound();
  return view;
}

/** Result of an invitation: everyone in the meeting now, and who this request added. */
export interface InvitationResult {
  participants: ParticipantView[];
  invitedUserIds: string[];
}

/**
 * Host or cohost. Adds users as pending attendees in one transaction; users already
 * in the meeting are skipped (idempotent). Any id naming no active user fails the
 * request (400 unknown_users) with nothing written. Not for ended or cancelled
 * meetings (409); at most MEETING_PARTICIPANTS_MAX participants (409 participant_limit).
 */
export async function inviteToMeeting(
  deps: RequestDeps,
  callerId: string,
  meetingId: string,
  userIds: readonly string[],
): Promise<InvitationResult> {
  const { db } = deps.db();
  await requireRole(db, meetingId, callerId, ['host', 'cohost'], 'invite people to');
  const ids = normaliseUserIds(userIds);

  const result = await db.transaction(async (tx) => {
    // Serialises invitations (and /end) per meeting, so the participant cap holds
    // and nobody is added to a meeting that ends meanwhile.
    const [meeting] = await tx
      .select({ status: meetings.status })
      .from(meetings)
      .where(eq(meetings.id, meetingId))
      .for('no key update');
    if (!meeting) throw meetingNotFound();
    if (closedMeetingStatuses.includes(meeting.status)) {
      throw invalidState(meeting.status, `Nobody can be invited to a ${meeting.status} meeting.`);
    }
    await lockInvitableUsers(tx, ids);
    const invitedUserIds = await insertInvitees(tx, meetingId, ids);
    const participants = await loadParticipants(tx, meetingId);
    if (participants.length > MEETING_PARTICIPANTS_MAX) {
      throw conflict('participant_limit', `A meeting has at most ${MEETING_PARTICIPANTS_MAX} participants.`, {
        max: MEETING_PARTICIPANTS_MAX,
      });
    }
    return { participants, invitedUserIds };
  });

  if (result.invitedUserIds.length > 0) {
    await afterMeetingWrite(
      deps.redis,
      meetingEvent('meeting.invited', meetingId, { userIds: result.invitedUserIds, invitedBy: callerId }),
    );
  }
  return result;
}
