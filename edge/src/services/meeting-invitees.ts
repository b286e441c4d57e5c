import { and, eq, inArray, sql } from 'drizzle-orm';
import { meetingParticipants, users, type Transaction } from '@huddle/db';
import { ApiError } from '../lib/api-error.ts';

/** Most user ids one create or invitation request may name. */
export const INVITEES_PER_REQUEST_MAX = 500;
/** Most participants (host included) one meeting may have. */
export const MEETING_PARTICIPANTS_MAX = 1_000;

/** 400 `unknown_users`: some invited ids name no active user; nothing was written. */
export const unknownUsers = (unknownUserIds: string[]): ApiError =>
  new ApiError(400, 'unknown_users', 'Some invited users do not exist.', { details: { unknownUserIds } });

/** Lower-cased, de-duplicated ids in first-seen order, without `exclude`. */
export function normaliseUserIds(ids: readonly string[], exclude?: string): string[] {
  const seen = new Set<string>(exclude ? [exclude.toLowerCase()] : []);
  const out: string[] = [];
  for (const id of ids.map((i) => i.toLowerCase())) {
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}

/**
 * Checks that every id names an active user and locks those rows (FOR KEY SHARE)
 * until the transaction ends, so none can be deleted before the participant rows
 * referencing them are inserted. Throws unknownUsers() naming every bad id.
 */
export async function lockInvitableUsers(tx: Transaction, userIds: readonly string[]): Promise<void> {
  if (userIds.length === 0) return;
  const found = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(inArray(users.id, [...userIds]), eq(users.status, 'active')))
    .for('key share');
  const existing = new Set(found.map((u) => u.id));
  const unknown = userIds.filter((id) => !existing.has(id));
  if (unknown.length > 0) throw unknownUsers(unknown);
}

/**
 * Adds `userIds` as pending attendees in one statement. Ids already in the meeting are
 * skipped (ON CONFLICT on the (meeting_id, user_id) unique), except removed participants:
 * inviting them again sets them back to `pending` (role kept) with a new invited_at,
 * which the media node compares with the join token's, so tokens minted before the
 * removal stay void. Returns the ids actually added or restored. Call
 * lockInvitableUsers() first in the same transaction.
 */
export async function insertInvitees(tx: Transaction, meetingId: string, userIds: readonly string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const added = await tx
    .insert(meetingParticipants)
    .values(userIds.map((userId) => ({ meetingId, userId, role: 'attendee' as const, status: 'pending' as const })))
    .onConflictDoUpdate({
      target: [meetingParticipants.meetingId, meetingParticipants.userId],
      set: { status: 'pending', invitedAt: sql`clock_timestamp()` },
      setWhere: eq(meetingParticipants.status, 'removed'),
    })
    .returning({ userId: meetingParticipants.userId });
  const addedSet = new Set(added.map((a) => a.userId));
  return userIds.filter((id) => addedSet.has(id));
}
