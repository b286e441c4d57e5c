import { describe, expect, it } from 'vitest';
import { createAuthFetch, sessionFromTokens } from './auth-fetch.ts';
import { SessionStore, type KeyValueStorage, type Session } from './session-store.ts';

class MapStorage implements KeyValueStorage {
  readonly map = new Map<string, string>();
  getItem(key: string) {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.map.set(key, value);
  }
  removeItem(key: string) {
    this.map.delete(key);
  }
}

const user = { id: 'u1', username: 'ada', email: 'ada@example.test', fullName: null };
const NOW = 1_000_000;

/** An edge that accepts exactly the current access token and rotates refresh tokens. */
function fakeEdge(initial: { access: string; refresh: string }) {
  const state = { access: initial.access, refresh: initial.refresh, refreshes: 0, seen: [] as { url: string; auth: string | null; body: string }[] };
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const body = await request.text();
    state.seen.push({ url: new URL(request.url).pathname, auth: request.headers.get('authorization'), body });
    if (request.url.endsWith('/auth/refresh')) {
      if (JSON.parse(body).refreshToken !== state.refresh) return Response.json({ error: { code: 'refresh_token_reused' } }, { status: 401 });
      state.refreshes += 1;
      state.access = `access-${state.refreshes + 1}`;
      state.refresh = `refresh-${state.refreshes + 1}`;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return Response.json({ accessToken: state.access, refreshToken: state.refresh, expiresIn: 900, user });
    }
    if (request.headers.get('authorization') !== `Bearer ${state.access}`) return Response.json({ error: { code: 'unauthorized' } }, { status: 401 });
    return Response.json({ ok: true, echo: body });
  };
  return { state, fetch };
}

function setUp(session: Partial<Session> = {}) {
  const store = new SessionStore(new MapStorage());
  store.set({ accessToken: 'access-1', refreshToken: 'refresh-1', accessExpiresAt: NOW + 600_000, user, ...session });
  const edge = fakeEdge({ access: 'access-1', refresh: 'refresh-1' });
  const authFetch = createAuthFetch({ store, fetch: edge.fetch as typeof fetch, lock: (fn) => fn(), now: () => NOW, apiBase: 'http://edge.test/api/v1' });
  return { store, edge, authFetch };
}

describe('auth fetch', () => {
  it('signs requests with the access token', async () => {
    const { edge, authFetch } = setUp();
    const response = await authFetch('http://edge.test/api/v1/users/me');
    expect(response.status).toBe(200);
    expect(edge.state.seen[0]?.auth).toBe('Bearer access-1');
  });

  it('after a 401 refreshes once and retries the request with its body', async () => {
    const { store, edge, authFetch } = setUp();
    // The server no longer accepts the client's access token (e.g. a rotated signing key).
    edge.state.access = 'nope';
    const response = await authFetch('http://edge.test/api/v1/meetings', { method: 'POST', body: '{"title":"x"}', headers: { 'content-type': 'application/json' } });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { echo: string }).echo).toBe('{"title":"x"}');
    expect(edge.state.refreshes).toBe(1);
    expect(store.get()?.refreshToken).toBe('refresh-2');
  });

  it('refreshes ahead of expiry, once for many concurrent requests', async () => {
    const { edge, authFetch } = setUp({ accessExpiresAt: NOW + 10_000 });
    const responses = await Promise.all(Array.from({ length: 5 }, () => authFetch('http://edge.test/api/v1/users/me')));
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(edge.state.refreshes).toBe(1);
    expect(edge.state.seen.filter((s) => s.url.endsWith('/users/me')).every((s) => s.auth === 'Bearer access-2')).toBe(true);
  });

  it('uses a pair another tab already rotated instead of reusing the old refresh token', async () => {
    const { store, edge } = setUp({ accessExpiresAt: NOW + 10_000 });
    // Another tab refreshed between this tab's read and its turn at the lock.
    const authFetch = createAuthFetch({
      store,
      fetch: edge.fetch as typeof fetch,
      now: () => NOW,
      apiBase: 'http://edge.test/api/v1',
      lock: async (fn) => {
        edge.state.access = 'access-other-tab';
        edge.state.refresh = 'refresh-other-tab';
        store.set({ accessToken: 'access-other-tab', refreshToken: 'refresh-other-tab', accessExpiresAt: NOW + 900_000, user });
        return fn();
      },
    });
    expect((await authFetch('http://edge.test/api/v1/users/me')).status).toBe(200);
    expect(edge.state.refreshes).toBe(0);
    expect(edge.state.seen.at(-1)?.auth).toBe('Bearer access-other-tab');
  });

  it('signs out when the refresh is refused', async () => {
    const { store, edge, authFetch } = setUp();
    edge.state.access = 'nope';
    edge.state.refresh = 'revoked';
    const response = await authFetch('http://edge.test/api/v1/users/me');
    expect(response.status).toBe(401);
    expect(store.get()).toBeNull();
  });

  it('reads login responses into a session with an absolute expiry, and drops a corrupt stored session', () => {
    expect(sessionFromTokens({ accessToken: 'a', refreshToken: 'r', expiresIn: 900, user }, NOW)).toEqual({
      accessToken: 'a',
      refreshToken: 'r',
      accessExpiresAt: NOW + 900_000,
      user,
    });
    const storage = new MapStorage();
    storage.setItem('huddle.session', '{not json');
    expect(new SessionStore(storage).get()).toBeNull();
    expect(storage.map.size).toBe(0);
  });
});
