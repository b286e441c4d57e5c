import { useEffect, useState } from 'react';
import { api } from '../../api/client.ts';
import type { components } from '../../api/schema.ts';
import type { LobbyState } from '../../call/lobby-state.ts';
import { LinkSettings } from '../LinkSettings.tsx';

type Meeting = components['schemas']['Meeting'];

export interface LobbyPanelProps {
  meetingId: string;
  lobby: LobbyState;
  /** The host may also change who can join and lock the meeting (PATCH is host-only). */
  isHost: boolean;
  onAnswer(ticketId: string, verdict: 'admit' | 'deny'): void;
  onAnswerAll(verdict: 'admit' | 'deny'): void;
  onRefresh(): void;
}

/** Hosts' and cohosts' view of the lobby: who waits, admit or deny each or all; the host can lock the meeting. */
export function LobbyPanel({ meetingId, lobby, isHost, onAnswer, onAnswerAll, onRefresh }: LobbyPanelProps) {
  const [meeting, setMeeting] = useState<Meeting | null>(null);
  useEffect(() => {
    if (!isHost) return;
    void api.GET('/api/v1/meetings/{id}', { params: { path: { id: meetingId } } }).then(({ data }) => setMeeting(data ?? null));
  }, [isHost, meetingId]);
  const unlisted = lobby.waiting - lobby.entrants.length;
  return (
    <section className="panel lobby-panel" aria-label="Lobby">
      <h2 className="panel-title">Waiting to join ({lobby.waiting})</h2>
      {lobby.suppressed > 0 && (
        <p className="notice" role="status">
          Many people knocked at once: {lobby.suppressed} in the last minute were not announced one by one.
        </p>
      )}
      {lobby.entrants.length === 0 && unlisted <= 0 && <p className="muted">Nobody is waiting.</p>}
      <ul className="people-list" aria-label="Waiting to join">
        {lobby.entrants.map((e) => (
          <li key={e.ticketId} className="person" data-testid="lobby-entrant" data-ticket-id={e.ticketId}>
            <div className="person-main">
              <span className="person-name">{e.name}</span>
              <span className="muted small">{e.kind === 'guest' ? 'guest, no account' : `signed in as @${e.username ?? ''}`}</span>
            </div>
            <div className="person-actions">
              <button type="button" className="button small" onClick={() => onAnswer(e.ticketId, 'admit')} aria-label={`Admit ${e.name}`}>
                Admit
              </button>
              <button type="button" className="button secondary small" onClick={() => onAnswer(e.ticketId, 'deny')} aria-label={`Deny ${e.name}`}>
                Deny
              </button>
            </div>
          </li>
        ))}
      </ul>
      {unlisted > 0 && (
        <button type="button" className="button secondary small" onClick={onRefresh}>
          Show {unlisted} more
        </button>
      )}
      {lobby.waiting > 0 && (
        <p className="row">
          <button type="button" className="button small" onClick={() => onAnswerAll('admit')}>
            Admit all
          </button>
          <button type="button" className="button danger small" onClick={() => onAnswerAll('deny')}>
            Deny all
          </button>
        </p>
      )}
      {isHost && meeting && <LinkSettings meeting={meeting} onSaved={setMeeting} />}
    </section>
  );
}
