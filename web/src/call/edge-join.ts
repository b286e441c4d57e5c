import { api, apiErrorCode, apiErrorMessage } from '../api/client.ts';
import { JoinFailure, type JoinGrant } from './call-session.ts';

/** POST /meetings/{id}/join through the typed client; failures become JoinFailure (status 0: no answer). */
export async function joinThroughEdge(meetingId: string): Promise<JoinGrant> {
  const result = await api.POST('/api/v1/meetings/{id}/join', { params: { path: { id: meetingId } } }).catch((error: unknown) => {
    throw new JoinFailure(0, undefined, error instanceof Error ? error.message : 'network error');
  });
  const { data, error, response } = result;
  if (error || !data) throw new JoinFailure(response.status, apiErrorCode(error), apiErrorMessage(error, `join failed (${response.status})`));
  return data;
}
