import { asc, eq } from 'drizzle-orm';
import {
  meetingParticipants,
  meetings,
  type Database,
  type Meeting,
  type MeetingSettings,
  type MeetingStatus,
  type ParticipantRole,
  type ParticipantStatus,
  type Transaction,
} from '@huddle/db';

/** One participant as the API shows it. */
export interface ParticipantView {
  userId: string;
  role: ParticipantRole;
  status: ParticipantStatus;
}

/** A meeting without its participants (list items). Times are ISO 8601 strings. */
export interface MeetingSummaryView {
  id: string;
  title: string;
  meetingCode: string;
  creatorId: string;
  startTime: string;
  /** Scheduled length in minutes. */
  duration: number;
  status: MeetingStatus;
  settings: MeetingSettings;
  startedAt: string | null;
  endedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/**
 * A meeting with its participants: the API's meeting JSON and the value cached
 * under `meeting:{id}`. Participants are ordered host, cohosts, attendees, then by
 * invitation time, so the same state always serialises to the same JSON.
 */
export interface MeetingView extends MeetingSummaryView {
  participants: ParticipantView[];
}

/** The meeting columns the views need. */
export const meetingColumns = {
  id: meetings.id,
  title: meetings.title,
  meetingCode: meetings.meetingCode,
  creatorId: meetings.creatorId,
  startTime: meetings.startTime,
  durationMinutes: meetings.durationMinutes,
  status: meetings.status,
  settings: meetings.settings,
  startedAt: meetings.startedAt,
  endedAt: meetings.endedAt,
  createdAt: meetings.createdAt,
  updatedAt: meetings.updatedAt,
};

type MeetingRow = Pick<Meeting, keyof typeof meetingColumns>;

/** A meetings row as the API's summary JSON. */
export function toSummaryView(row: MeetingRow): MeetingSummaryView {
  return {
    id: row.id,
    title: row.title,
    meetingCode: row.meetingCode,
    creatorId: row.creatorId,
    startTime: row.startTime.toISOString(),
    duration: row.durationMinutes,
    status: row.status,
    settings: row.settings,
    startedAt: row.startedAt?.toISOString() ?? null,
    endedAt: row.endedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/**
 * Loads a meeting with its participants in ONE statement (the cache loader counts
 * on that), or null when it does not exist.
 */
export async function loadMeetingView(db: Database | Transaction, meetingId: string): Promise<MeetingView | null> {
  const row = await db.query.meetings.findFirst({
    columns: {
      id: true,
      title: true,
      meetingCode: true,
      creatorId: true,
      startTime: true,
      durationMinutes: true,
      status: true,
      settings: true,
      startedAt: true,
      endedAt: true,
      createdAt: true,
      updatedAt: true,
    },
    where: eq(meetings.id, meetingId),
    with: {
      participants: {
        columns: { userId: true, role: true, status: true },
        orderBy: [asc(meetingParticipants.role), asc(meetingParticipants.invitedAt), asc(meetingParticipants.userId)],
      },
    },
  });
  if (!row) return null;
  const { participants, ...meeting } = row;
  return { ...toSummaryView(meeting), participants: participants.map(toParticipantView) };
}

/** The participants of a meeting, in view order. */
export async function loadParticipants(db: Database | Transaction, meetingId: string): Promise<ParticipantView[]> {
  const rows = await db
    .select({ userId: meetingParticipants.userId, role: meetingParticipants.role, status: meetingParticipants.status })
    .from(meetingParticipants)
    .where(eq(meetingParticipants.meetingId, meetingId))
    .orderBy(asc(meetingParticipants.role), asc(meetingParticipants.invitedAt), asc(meetingParticipants.userId));
  return rows.map(toParticipantView);
}

const toParticipantView = (p: ParticipantView): ParticipantView => ({ userId: p.userId, role: p.role, status: p.status });
