import { api, apiErrorCode, apiErrorMessage, sessionStore } from '../api/client.ts';
import { guestStore } from '../api/link-entry.ts';
import { JoinFailure, type JoinGrant } from './call-session.ts';

/**
 * POST /meetings/{id}/join through the typed client — as the signed-in user, or as this
 * tab's guest of that meeting; failures become JoinFailure (status 0: no answer).
 */
export async function joinThroughEdge(meetingId: string): Promise<JoinGrant> {
  const guest = sessionStore.get() ? null : guestStore.get(meetingId);
  const headers = guest ? { authorization: `Bearer ${guest.token}` } : undefined;
  const result = await api.POST('/api/v1/meetings/{id}/join', { params: { path: { id: meetingId } }, headers }).catch((error: unknown) => {
    throw new JoinFailure(0, undefined, error instanceof Error ? error.message : 'network error');
  });
  const { data, error, response } = result;
  if (error || !data) throw new JoinFailure(response.status, apiErrorCode(error), apiErrorMessage(error, `join failed (${response.status})`));
  return data;
}

/**
 * Starts a scheduled meeting when `userId` is its host (POST /meetings/{id}/start).
 * Best effort: joining works without it, and another tab may have started it already.
 */
export async function startIfHost(meetingId: string, userId: string): Promise<void> {
  try {
    const { data } = await api.GET('/api/v1/meetings/{id}', { params: { path: { id: meetingId } } });
    const host = data?.participants.find((p) => p.role === 'host');
    if (data?.status === 'scheduled' && host?.userId === userId) {
      await api.POST('/api/v1/meetings/{id}/start', { params: { path: { id: meetingId } } });
    }
  } catch (error) {
    console.warn('starting the meeting failed', error);
  }
}
