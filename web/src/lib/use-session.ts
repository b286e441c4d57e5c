import { useSyncExternalStore } from 'react';
import { sessionStore } from '../api/client.ts';
import type { Session } from '../api/session-store.ts';

let cached: { raw: Session | null } = { raw: sessionStore.get() };
sessionStore.subscribe((session) => {
  cached = { raw: session };
});

/** The signed-in session (null when signed out); re-renders on sign-in, refresh and sign-out, in any tab. */
export function useSession(): Session | null {
  return useSyncExternalStore(
    (listener) => sessionStore.subscribe(listener),
    () => cached.raw,
  );
}
