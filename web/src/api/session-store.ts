import { z } from 'zod';

/** The signed-in user as the edge returns it (login, refresh, /users/me). */
export const sessionUserSchema = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string(),
  fullName: z.string().nullable(),
});
export type SessionUser = z.infer<typeof sessionUserSchema>;

/** A login session: the short-lived access token and the rotating refresh token. */
export const sessionSchema = z.object({
  accessToken: z.string(),
  refreshToken: z.string(),
  /** When the access token expires, ms since the epoch. */
  accessExpiresAt: z.number(),
  user: sessionUserSchema,
});
export type Session = z.infer<typeof sessionSchema>;

const STORAGE_KEY = 'huddle.session';

/** Where the session lives: localStorage in the browser (shared by tabs), a Map in tests. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * The current session, persisted so a reload (or another tab) stays signed in.
 * Listeners hear every change, including sign-out.
 */
export class SessionStore {
  readonly #storage: KeyValueStorage;
  readonly #listeners = new Set<(session: Session | null) => void>();

  constructor(storage: KeyValueStorage) {
    this.#storage = storage;
  }

  /** The stored session, or null (also for a corrupt entry, which is dropped). */
  get(): Session | null {
    const raw = this.#storage.getItem(STORAGE_KEY);
    if (raw === null) return null;
    try {
      return sessionSchema.parse(JSON.parse(raw));
    } catch {
      this.#storage.removeItem(STORAGE_KEY);
      return null;
    }
  }

  set(session: Session | null): void {
    if (session) this.#storage.setItem(STORAGE_KEY, JSON.stringify(session));
    else this.#storage.removeItem(STORAGE_KEY);
    for (const listener of this.#listeners) listener(session);
  }

  /** Another tab changed the stored session (the browser's `storage` event). */
  notifyExternalChange(): void {
    const session = this.get();
    for (const listener of this.#listeners) listener(session);
  }

  subscribe(listener: (session: Session | null) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
