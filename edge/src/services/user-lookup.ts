import { ApiError } from '../lib/api-error.ts';
import type { RequestDeps } from '../env.ts';
import { hitRateLimits } from './rate-limit.ts';
import { findUserByLogin } from './users.ts';

/** Look-ups one user may make per window: enough to fill an invitation list, too few to enumerate accounts. */
export const USER_LOOKUP_LIMIT = { limit: 60, windowSeconds: 60 } as const;

/** Another user as a look-up shows them (no email). */
export interface UserSummary {
  id: string;
  username: string;
  fullName: string | null;
}

/**
 * The active user whose username or email equals `login` (ignoring case), for invitations.
 * Counts against the caller's look-up limit first (429 with Retry-After past it);
 * unknown and disabled users are both 404 `user_not_found`.
 */
export async function lookupUser(deps: Pick<RequestDeps, 'db' | 'redis'>, callerId: string, login: string): Promise<UserSummary> {
  await hitRateLimits(deps.redis, [{ identifier: `user-lookup:user:${callerId}`, ...USER_LOOKUP_LIMIT }]);
  const user = await findUserByLogin(deps.db().db, login);
  if (user?.status !== 'active') throw new ApiError(404, 'user_not_found', 'No active user has that username or email.');
  return { id: user.id, username: user.username, fullName: user.fullName };
}
