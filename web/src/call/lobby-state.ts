import type { LobbyEntrant, SignalingNotification } from '@huddle/protocol';

// What hosts and cohosts see of the lobby during a call: who waits (oldest first), how
// many wait in all, and how many knocks of the last minute arrived only as a counter (a
// flood is never shown one by one). A pure reducer; the call session feeds it.

export interface LobbyState {
  entrants: readonly LobbyEntrant[];
  /** Entrants waiting now, also those not listed (a flood). */
  waiting: number;
  /** Knocks of the last minute that reached hosts only as a counter. */
  suppressed: number;
}

export const initialLobbyState: LobbyState = { entrants: [], waiting: 0, suppressed: 0 };

type LobbyNotification = Extract<SignalingNotification, { method: 'lobby.knock' | 'lobby.count' | 'lobby.resolved' }>;

/** True for the notifications this reducer takes. */
export const isLobbyNotification = (n: SignalingNotification): n is LobbyNotification =>
  n.method === 'lobby.knock' || n.method === 'lobby.count' || n.method === 'lobby.resolved';

/** The lobby after a notification. */
export function applyLobbyNotification(state: LobbyState, n: LobbyNotification): LobbyState {
  switch (n.method) {
    case 'lobby.knock': {
      const known = state.entrants.some((e) => e.ticketId === n.data.entrant.ticketId);
      const entrants = known ? state.entrants : [...state.entrants, n.data.entrant].sort((a, b) => a.knockedAt.localeCompare(b.knockedAt));
      return { ...state, entrants, waiting: n.data.waiting };
    }
    case 'lobby.count':
      return { ...state, waiting: n.data.waiting, suppressed: n.data.suppressed };
    case 'lobby.resolved':
      return { ...state, entrants: state.entrants.filter((e) => e.ticketId !== n.data.ticketId), waiting: n.data.waiting };
  }
}

/** The lobby as `lobby.list` answered (it replaces what notifications built up). */
export function lobbyListed(state: LobbyState, listing: { entrants: LobbyEntrant[]; waiting: number }): LobbyState {
  return { ...state, entrants: listing.entrants, waiting: listing.waiting };
}
