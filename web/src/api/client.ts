import createClient from 'openapi-fetch';
import { createAuthFetch } from './auth-fetch.ts';
import type { paths } from './schema.ts';
import { SessionStore } from './session-store.ts';

/** Path prefix of the edge's API; same origin as the page (Vite proxy in dev, the Worker in production). */
export const API_BASE = '/api/v1';

/** The browser's session (localStorage, shared by tabs). */
export const sessionStore = new SessionStore(window.localStorage);
window.addEventListener('storage', (event) => {
  if (event.key === null || event.key.startsWith('huddle.')) sessionStore.notifyExternalChange();
});

/** Typed client of the edge API (types generated from its OpenAPI document). */
export const api = createClient<paths>({
  baseUrl: '',
  fetch: createAuthFetch({ store: sessionStore, apiBase: API_BASE }),
});

/** The `{ error: { code, message } }` body of a failed call, with a fallback for anything else. */
export function apiErrorMessage(error: unknown, fallback = 'Something went wrong. Please try again.'): string {
  const message = (error as { error?: { message?: unknown } } | undefined)?.error?.message;
  return typeof message === 'string' && message.length > 0 ? message : fallback;
}

/** The stable error code of a failed call, if the body had one. */
export function apiErrorCode(error: unknown): string | undefined {
  const code = (error as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}
