import type { EntryMode } from '@huddle/protocol';
import type { LinkCaller, RequestDeps } from '../../env.ts';
import { notFound, type ApiError } from '../../lib/api-error.ts';
import { chargeLinkRequest, lookupCharged, refundMiss } from './link-limits.ts';
import { callerFor, decideLinkEntry, type LinkDecision } from './link-policy.ts';
import { findMeetingByCode, type LinkMeeting, type LinkMembership } from './meeting-by-code.ts';

/**
 * The one 404 of the link routes: unknown codes, meetings that take no link entry,
 * ended and cancelled meetings all answer exactly this, so a code's answer tells a
 * stranger nothing beyond "not for you".
 */
export const linkNotFound = (): ApiError => notFound('No meeting with this code takes entry by link.');

/** A code that opened: the meeting, the caller as it sees them, and what the link does for them. */
export interface OpenedLink {
  meeting: LinkMeeting;
  membership: LinkMembership | undefined;
  /** Undefined: anonymous (also a guest token of another meeting). */
  caller: LinkCaller | undefined;
  decision: Exclude<LinkDecision, 'hidden'>;
}

/**
 * Resolves a code for `caller`, counting the request against the address and the code
 * and every 404 against the address's miss budget (services/lobby/link-limits.ts).
 * The 404 comes from the same path whatever the reason, after the same one query.
 */
export async function openLink(deps: RequestDeps, ip: string, code: string, caller: LinkCaller | undefined): Promise<OpenedLink> {
  const limits = deps.config.lobby.limits;
  await chargeLinkRequest(deps.redis, limits, ip, code);
  const found = await lookupCharged(deps.redis, limits, ip, () => findMeetingByCode(deps.db().db, code, caller?.userId));
  const decision = found ? decideLinkEntry(found.meeting, caller, found.membership) : 'hidden';
  if (!found || decision === 'hidden') throw linkNotFound();
  await refundMiss(deps.redis, limits, ip);
  return { meeting: found.meeting, membership: found.membership, caller: callerFor(found.meeting, caller), decision };
}

/** What a link holder sees before deciding to enter. Nothing about participants, no meeting id. */
export interface MeetingPreview {
  code: string;
  title: string;
  hostName: string;
  /** Scheduled start (ISO 8601). */
  startTime: string;
  status: 'scheduled' | 'ongoing';
  entry: EntryMode;
  locked: boolean;
  /** Entering means waiting in the lobby for this caller. */
  lobby: boolean;
  /** This caller must sign in first (the meeting takes signed-in users only). */
  signInRequired: boolean;
  /** This caller is already a participant (enters straight away). */
  participant: boolean;
}

/** GET /meetings/by-code/{code}. */
export async function previewByCode(deps: RequestDeps, ip: string, code: string, caller: LinkCaller | undefined): Promise<MeetingPreview> {
  const { meeting, membership, decision } = await openLink(deps, ip, code, caller);
  const unlocked = decideLinkEntry({ ...meeting, settings: { ...meeting.settings, locked: false } }, caller, membership);
  return {
    code: meeting.code,
    title: meeting.title,
    hostName: meeting.hostName,
    startTime: meeting.startTime.toISOString(),
    status: meeting.status === 'ongoing' ? 'ongoing' : 'scheduled',
    entry: meeting.settings.entry,
    locked: meeting.settings.locked,
    lobby: unlocked === 'lobby',
    signInRequired: decision === 'sign_in_required',
    participant: decision === 'participant',
  };
}
