import { z } from 'zod';
import type { KeyValueStorage } from './session-store.ts';

/** A guest's credentials for one meeting (POST /meetings/by-code/{code}/entry `guest`). */
export const guestCredentialsSchema = z.object({
  token: z.string(),
  userId: z.string(),
  name: z.string(),
  /** ISO 8601. */
  expiresAt: z.string(),
});
export type GuestCredentials = z.infer<typeof guestCredentialsSchema>;

const PREFIX = 'huddle.guest.';

/**
 * A guest's credentials, per meeting. Per tab (sessionStorage): a guest is someone in
 * this tab, not an account; a reload keeps them, closing the tab forgets them. Expired
 * or corrupt entries read as absent. `storage`: sessionStorage in the browser, a Map in tests.
 */
export class GuestStore {
  readonly #storage: KeyValueStorage;
  readonly #now: () => number;

  constructor(storage: KeyValueStorage, now: () => number = Date.now) {
    this.#storage = storage;
    this.#now = now;
  }

  get(meetingKey: string): GuestCredentials | null {
    const raw = this.#storage.getItem(PREFIX + meetingKey);
    if (raw === null) return null;
    try {
      const credentials = guestCredentialsSchema.parse(JSON.parse(raw));
      if (Date.parse(credentials.expiresAt) > this.#now()) return credentials;
    } catch {
      // corrupt: dropped below
    }
    this.#storage.removeItem(PREFIX + meetingKey);
    return null;
  }

  set(meetingKey: string, credentials: GuestCredentials): void {
    this.#storage.setItem(PREFIX + meetingKey, JSON.stringify(credentials));
  }

  delete(meetingKey: string): void {
    this.#storage.removeItem(PREFIX + meetingKey);
  }
}
