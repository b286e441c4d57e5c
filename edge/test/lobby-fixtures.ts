// Shared by the link-entry suites (edge/test/lobby-*.test.ts and media-node/test/lobby*.test.ts):
// a JSON client for the /meetings/by-code routes that can act as anonymous, a signed-in
// user or a guest, from a client address of its choice (CF-Connecting-IP).
import type { Fetcher, JsonReply } from './meetings-fixtures.ts';
import { callerFor, meetingInput } from './meetings-fixtures.ts';
import { testClientIp, type SignedInUser } from './users-helper.ts';

/** Who calls and from where: `token` is an access or guest token (none: anonymous). */
export interface As {
  token?: string | undefined;
  ip?: string;
}

async function send<T>(edge: Fetcher, method: string, path: string, as: As, body?: unknown): Promise<JsonReply<T>> {
  const headers: Record<string, string> = { 'cf-connecting-ip': as.ip ?? testClientIp() };
  if (as.token) headers.authorization = `Bearer ${as.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await edge.fetch(path, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

/** The link routes of one edge. */
export function linkClient(edge: Fetcher) {
  const base = (code: string) => `/api/v1/meetings/by-code/${encodeURIComponent(code)}`;
  return {
    preview: (code: string, as: As = {}) => send<any>(edge, 'GET', base(code), as),
    enter: (code: string, body: Record<string, unknown> = {}, as: As = {}) => send<any>(edge, 'POST', `${base(code)}/entry`, as, body),
    poll: (code: string, ticketId: string, as: As, waitSeconds = 0) =>
      send<any>(edge, 'GET', `${base(code)}/entry/${encodeURIComponent(ticketId)}?waitSeconds=${waitSeconds}`, as),
    leave: (code: string, ticketId: string, as: As) => send<any>(edge, 'DELETE', `${base(code)}/entry/${encodeURIComponent(ticketId)}`, as),
  };
}

/** A meeting created through the API by `host` with `settings`; its id and code. */
export async function createLinkMeeting(
  edge: Fetcher,
  host: SignedInUser,
  settings: Record<string, unknown>,
  invitedUserIds: string[] = [],
): Promise<{ id: string; code: string }> {
  const created = await callerFor(edge, host.accessToken)('POST', '/api/v1/meetings', meetingInput({ settings, invitedUserIds }));
  if (created.status !== 201) throw new Error(`create failed: ${created.status} ${JSON.stringify(created.body)}`);
  return { id: created.body.id, code: created.body.meetingCode };
}

/** Replaces a meeting's settings (PATCH, as its host). */
export async function setSettings(edge: Fetcher, host: SignedInUser, meetingId: string, settings: Record<string, unknown>): Promise<void> {
  const patched = await callerFor(edge, host.accessToken)('PATCH', `/api/v1/meetings/${meetingId}`, { settings });
  if (patched.status !== 200) throw new Error(`patch failed: ${patched.status} ${JSON.stringify(patched.body)}`);
}
