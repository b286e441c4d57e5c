import { describe, expect, it } from 'vitest';
import type { LobbyEntrant } from '@huddle/protocol';
import { applyLobbyNotification, initialLobbyState, lobbyListed } from './lobby-state.ts';

const entrant = (ticketId: string, knockedAt: string, name = ticketId): LobbyEntrant => ({
  ticketId: ticketId.padEnd(22, 'x'),
  kind: 'guest',
  userId: '0b8f6a52-3f0e-4d57-9b7e-2f6f1c7d9a10',
  name,
  knockedAt,
});

describe('lobby state', () => {
  it('lists knocks oldest first, once each, and drops settled ones', () => {
    const a = entrant('a', '2026-11-30T10:00:01Z');
    const b = entrant('b', '2026-11-30T10:00:00Z');
    let state = applyLobbyNotification(initialLobbyState, { method: 'lobby.knock', data: { entrant: a, waiting: 1 } });
    state = applyLobbyNotification(state, { method: 'lobby.knock', data: { entrant: b, waiting: 2 } });
    state = applyLobbyNotification(state, { method: 'lobby.knock', data: { entrant: a, waiting: 2 } });
    expect(state.entrants.map((e) => e.name)).toEqual(['b', 'a']);
    state = applyLobbyNotification(state, { method: 'lobby.resolved', data: { ticketId: b.ticketId, outcome: 'admitted', waiting: 1 } });
    expect(state).toEqual({ entrants: [a], waiting: 1, suppressed: 0 });
  });

  it('counts a flood without listing it, until the list is fetched', () => {
    let state = applyLobbyNotification(initialLobbyState, { method: 'lobby.count', data: { waiting: 40, suppressed: 30 } });
    expect(state).toEqual({ entrants: [], waiting: 40, suppressed: 30 });
    state = lobbyListed(state, { entrants: [entrant('c', '2026-11-30T10:00:00Z')], waiting: 40 });
    expect(state.entrants).toHaveLength(1);
    expect(state.suppressed).toBe(30);
  });
});
