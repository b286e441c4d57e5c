import { useEffect, useRef, useState, type FormEvent } from 'react';
import { SIGNALING_LIMITS } from '@huddle/protocol';
import type { ChatEntry } from '../../call/call-state.ts';

export interface ChatPanelProps {
  chat: readonly ChatEntry[];
  names: ReadonlyMap<string, string>;
  selfUserId: string | undefined;
  canLoadOlder: boolean;
  disabled: boolean;
  onSend(text: string): void;
  onRetry(clientMsgId: string): void;
  onLoadOlder(): void;
}

/** Chat: history and live messages, a send box; failed sends can be retried (never doubled). */
export function ChatPanel({ chat, names, selfUserId, canLoadOlder, disabled, onSend, onRetry, onLoadOlder }: ChatPanelProps) {
  const [text, setText] = useState('');
  const list = useRef<HTMLOListElement>(null);
  const count = chat.length;
  useEffect(() => {
    if (count > 0) list.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [count]);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const value = text.trim();
    if (!value) return;
    onSend(value);
    setText('');
  };
  return (
    <section className="panel chat" aria-label="Chat">
      {canLoadOlder && (
        <button type="button" className="link-button" onClick={onLoadOlder}>
          Show earlier messages
        </button>
      )}
      <div className="chat-log" role="log" aria-live="polite" aria-label="Chat messages">
        <ol className="chat-list" ref={list}>
          {chat.map((m) => (
            <li key={m.id} className={`chat-message ${m.status}`} data-testid="chat-message" data-status={m.status}>
              <span className="chat-author">{m.userId === selfUserId ? 'You' : (names.get(m.userId) ?? 'Someone')}</span>{' '}
              <time className="muted small" dateTime={m.sentAt}>
                {new Date(m.sentAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}
              </time>
              <p className="chat-text">{m.text}</p>
              {m.status === 'sending' && <span className="muted small">Sending…</span>}
              {m.status === 'failed' && (
                <button type="button" className="link-button" onClick={() => onRetry(m.clientMsgId)}>
                  Not sent — retry
                </button>
              )}
            </li>
          ))}
        </ol>
      </div>
      <form className="chat-form" onSubmit={submit}>
        <label className="visually-hidden" htmlFor="chat-input">
          Message
        </label>
        <input
          id="chat-input"
          value={text}
          onChange={(e) => setText(e.target.value)}
          maxLength={SIGNALING_LIMITS.chatTextCharsMax}
          placeholder="Send a message to everyone"
          autoComplete="off"
          disabled={disabled}
        />
        <button type="submit" className="button" disabled={disabled || text.trim() === ''}>
          Send
        </button>
      </form>
    </section>
  );
}
