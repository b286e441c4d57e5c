import type { ParticipantRole } from '@huddle/db';

/** Hosts and cohosts may manage a meeting; only the host may end or reschedule it. */
export const canModerate = (role: ParticipantRole): boolean => role === 'host' || role === 'cohost';
