import type { Participant, TalkTimeEntry } from '@huddle/protocol';
import { formatDuration } from '../../lib/format.ts';

export interface ParticipantsPanelProps {
  self: Participant | null;
  others: Participant[];
  talkTime: readonly TalkTimeEntry[];
  onMute(userId: string): void;
  onRemove(userId: string): void;
}

/** Everyone in the room: role, hand, microphone and camera, talk time; host controls for hosts and cohosts. */
export function ParticipantsPanel({ self, others, talkTime, onMute, onRemove }: ParticipantsPanelProps) {
  const talk = new Map(talkTime.map((t) => [t.userId, t.talkTimeMs]));
  const moderator = self?.role === 'host' || self?.role === 'cohost';
  const people = [...(self ? [self] : []), ...[...others].sort((a, b) => Number(b.handRaised) - Number(a.handRaised) || a.name.localeCompare(b.name))];
  return (
    <section className="panel people" aria-label="Participants">
      <h2 className="panel-title">People ({people.length})</h2>
      <ul className="people-list">
        {people.map((p) => {
          const isSelf = p.userId === self?.userId;
          return (
            <li key={p.userId} className="person" data-testid="participant" data-user-id={p.userId}>
              <div className="person-main">
                <span className="person-name">
                  {p.name}
                  {isSelf && ' (you)'}
                </span>
                <span className="muted small">
                  {p.role}
                  {talk.has(p.userId) && ` · talked ${formatDuration(talk.get(p.userId) ?? 0)}`}
                </span>
              </div>
              <div className="person-state">
                {p.handRaised && (
                  <span role="img" aria-label="Hand raised" data-testid="hand-raised">
                    ✋
                  </span>
                )}
                <span role="img" aria-label={p.media.audio ? 'Microphone on' : 'Microphone off'} data-testid={p.media.audio ? 'mic-on' : 'mic-off'}>
                  {p.media.audio ? '🎙️' : '🔇'}
                </span>
                <span role="img" aria-label={p.media.video ? 'Camera on' : 'Camera off'}>
                  {p.media.video ? '📷' : '🚫'}
                </span>
              </div>
              {moderator && !isSelf && (
                <div className="person-actions">
                  <button type="button" className="button secondary small" onClick={() => onMute(p.userId)} disabled={!p.media.audio} aria-label={`Mute ${p.name}`}>
                    Mute
                  </button>
                  <button type="button" className="button danger small" onClick={() => onRemove(p.userId)} aria-label={`Remove ${p.name}`}>
                    Remove
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
