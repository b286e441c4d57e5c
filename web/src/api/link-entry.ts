import { api, apiErrorCode, apiErrorMessage } from './client.ts';
import { GuestStore, type GuestCredentials } from './guest-store.ts';
import type { components } from './schema.ts';

// Entering a meeting with its link (/j/{code}): the preview, the entry (a grant or a
// lobby ticket), and the wait on the ticket. Guests keep their credentials per tab,
// under the code while they wait and under the meeting id once let in (the call
// joins with them: call/edge-join.ts).

export type MeetingPreview = components['schemas']['MeetingPreview'];
export type EntryResult = components['schemas']['LinkEntryResult'];
export type TicketStatus = components['schemas']['LobbyTicketStatus'];

/** Guest credentials of this tab. */
export const guestStore = new GuestStore(window.sessionStorage);

/** A failed link call: the HTTP status, the stable code and the message to show. */
export class LinkError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  constructor(status: number, code: string | undefined, message: string) {
    super(message);
    this.name = 'LinkError';
    this.status = status;
    this.code = code;
  }
}

const bearer = (credentials: GuestCredentials | null) =>
  credentials ? { authorization: `Bearer ${credentials.token}` } : undefined;

function fail(response: Response, error: unknown, fallback: string): never {
  throw new LinkError(response.status, apiErrorCode(error), apiErrorMessage(error, fallback));
}

/** What the link shows this visitor (a signed-in user's session is sent by the client; a guest's token here). */
export async function previewLink(code: string): Promise<MeetingPreview> {
  const { data, error, response } = await api.GET('/api/v1/meetings/by-code/{code}', {
    params: { path: { code } },
    headers: bearer(guestStore.get(code)),
  });
  if (!data) fail(response, error, 'This link does not open a meeting.');
  return data;
}

/** Enters with the link; a new guest's credentials are kept for the code. */
export async function enterByLink(code: string, displayName?: string): Promise<EntryResult> {
  const { data, error, response } = await api.POST('/api/v1/meetings/by-code/{code}/entry', {
    params: { path: { code } },
    body: displayName === undefined ? {} : { displayName },
    headers: bearer(guestStore.get(code)),
  });
  if (!data) fail(response, error, 'Could not ask to join.');
  if (data.guest) guestStore.set(code, data.guest);
  return data;
}

/** Waits (long-poll) up to `waitSeconds` for the ticket to be settled. */
export async function waitForTicket(code: string, ticketId: string, waitSeconds = 20, signal?: AbortSignal): Promise<TicketStatus> {
  const { data, error, response } = await api.GET('/api/v1/meetings/by-code/{code}/entry/{ticketId}', {
    params: { path: { code, ticketId }, query: { waitSeconds } },
    headers: bearer(guestStore.get(code)),
    ...(signal ? { signal } : {}),
  });
  if (!data) fail(response, error, 'Lost the place in the lobby.');
  return data;
}

/** Gives up waiting (best effort). */
export async function leaveLobby(code: string, ticketId: string): Promise<void> {
  await api
    .DELETE('/api/v1/meetings/by-code/{code}/entry/{ticketId}', { params: { path: { code, ticketId } }, headers: bearer(guestStore.get(code)) })
    .catch(() => undefined);
}

/** Let in: a guest's credentials now belong to the meeting (the call joins with them). */
export function rememberAdmission(code: string, meetingId: string): void {
  const credentials = guestStore.get(code);
  if (credentials) guestStore.set(meetingId, credentials);
}
