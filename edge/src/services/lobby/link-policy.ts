import type { LinkCaller } from '../../env.ts';
import type { LinkMeeting, LinkMembership } from './meeting-by-code.ts';

/**
 * What the link does for one caller:
 * - `hidden`: the link shows nothing (unknown code, `invited` meeting, ended or
 *   cancelled) — the same 404 as an unknown code;
 * - `participant`: already in the meeting (invited, or let in before): straight in;
 * - `sign_in_required`: the meeting takes signed-in users only;
 * - `locked`: the host locked the meeting: no new entries;
 * - `lobby`: knock and wait for a host or cohost;
 * - `direct`: a signed-in user enters without the lobby (`lobby: false`).
 */
export type LinkDecision = 'hidden' | 'participant' | 'sign_in_required' | 'locked' | 'lobby' | 'direct';

/** Participant statuses that keep someone out: they must come through the lobby (or an invitation) again. */
const OUT_STATUSES: readonly string[] = ['declined', 'removed'];

/**
 * Decides what the link does for `caller` (undefined: anonymous). A guest token of
 * another meeting counts as anonymous here: it reaches nothing of this meeting.
 * Removed participants always knock, whatever `lobby` says (the host decides again).
 */
export function decideLinkEntry(
  meeting: LinkMeeting,
  caller: LinkCaller | undefined,
  membership: LinkMembership | undefined,
): LinkDecision {
  if (meeting.status === 'ended' || meeting.status === 'cancelled') return 'hidden';
  const who = callerFor(meeting, caller);
  if (who && membership && !OUT_STATUSES.includes(membership.status)) return 'participant';
  const { entry, lobby, locked } = meeting.settings;
  if (entry === 'invited') return 'hidden';
  const signedIn = who?.kind === 'user';
  if (!signedIn && entry !== 'guests') return 'sign_in_required';
  if (locked) return 'locked';
  if (!signedIn || lobby || membership?.status === 'removed') return 'lobby';
  return 'direct';
}

/** The caller as this meeting sees it: a guest token of another meeting is nobody here. */
export function callerFor(meeting: LinkMeeting, caller: LinkCaller | undefined): LinkCaller | undefined {
  return caller?.kind === 'guest' && caller.meetingId !== meeting.id ? undefined : caller;
}
