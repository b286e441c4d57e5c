import { z } from 'zod';
import { sessionUserSchema, type Session, type SessionStore } from './session-store.ts';

/** Refresh this long before the access token expires, in ms (clock skew, slow requests). */
const REFRESH_AHEAD_MS = 30_000;

const tokenPairSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  /** Seconds. */
  expiresIn: z.number(),
  user: sessionUserSchema,
});

/** A session from the body of POST /auth/login or /auth/refresh. */
export function sessionFromTokens(body: unknown, now = Date.now()): Session {
  const pair = tokenPairSchema.parse(body);
  return {
    accessToken: pair.accessToken,
    refreshToken: pair.refreshToken,
    accessExpiresAt: now + pair.expiresIn * 1000,
    user: pair.user,
  };
}

/** Runs `fn` while holding a lock every tab of this origin shares (Web Locks), or just runs it. */
export type CrossTabLock = <T>(fn: () => Promise<T>) => Promise<T>;

export const webLock: CrossTabLock = (fn) =>
  typeof navigator !== 'undefined' && navigator.locks ? navigator.locks.request('huddle.refresh', fn) : fn();

export interface AuthFetchOptions {
  store: SessionStore;
  /** The network (window.fetch in the browser). */
  fetch?: typeof fetch;
  lock?: CrossTabLock;
  now?: () => number;
  /** Base of the API, e.g. `/api/v1` or `http://127.0.0.1:8787/api/v1`. */
  apiBase: string;
}

/**
 * A fetch that signs requests with the session's access token and keeps the session
 * alive without the caller noticing: it refreshes shortly before the access token
 * expires and, on a 401, refreshes once and retries the request. Refresh tokens rotate
 * and a reused one revokes the whole session, so one refresh runs at a time across
 * every tab (a Web Lock); a tab that waited finds the new pair in storage and uses it.
 * A refused refresh signs the user out (the session store is cleared).
 */
export function createAuthFetch(options: AuthFetchOptions): typeof fetch {
  const net = options.fetch ?? globalThis.fetch.bind(globalThis);
  const lock = options.lock ?? webLock;
  const now = options.now ?? Date.now;
  const { store } = options;
  let inFlight: Promise<Session | null> | null = null;

  const refresh = (stale: Session): Promise<Session | null> => {
    inFlight ??= lock(async () => {
      const current = store.get();
      // Another tab (or an earlier call) already rotated the pair.
      if (!current || current.refreshToken !== stale.refreshToken) return current;
      const response = await net(`${options.apiBase}/auth/refresh`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refreshToken: current.refreshToken }),
      });
      if (response.status === 401 || response.status === 400) {
        store.set(null);
        return null;
      }
      if (!response.ok) throw new Error(`refresh failed with ${response.status}`);
      const next = sessionFromTokens(await response.json(), now());
      store.set(next);
      return next;
    }).finally(() => {
      inFlight = null;
    });
    return inFlight;
  };

  const send = (request: Request, session: Session | null): Promise<Response> => {
    const signed = new Request(request);
    if (session) signed.headers.set('authorization', `Bearer ${session.accessToken}`);
    return net(signed);
  };

  return async (input, init) => {
    const request = new Request(input, init);
    let session = store.get();
    if (session && session.accessExpiresAt - now() < REFRESH_AHEAD_MS) session = await refresh(session);
    // Keep an unread copy: a request body can be sent only once.
    const retry = request.clone();
    const response = await send(request, session);
    if (response.status !== 401 || !session) return response;
    const renewed = await refresh(session);
    return renewed ? send(retry, renewed) : response;
  };
}
