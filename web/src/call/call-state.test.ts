import type { ChatMessage, Participant } from '@huddle/protocol';
import { describe, expect, it } from 'vitest';
import { callReducer, initialCallState, type CallAction, type CallState } from './call-state.ts';

const meetingId = '99999999-9999-4999-8999-999999999999';
const a = '11111111-1111-4111-8111-111111111111';
const b = '22222222-2222-4222-8222-222222222222';

const person = (userId: string, name: string, extra: Partial<Participant> = {}): Participant => ({
  userId,
  name,
  role: 'attendee',
  nodeId: 'node-1',
  media: { audio: true, video: true, screen: false },
  handRaised: false,
  joinedAt: '2026-11-30T10:00:00.000Z',
  ...extra,
});

const message = (id: string, userId: string, clientMsgId: string, sentAt: string, text = 'hi'): ChatMessage => ({
  id,
  meetingId,
  userId,
  text,
  clientMsgId,
  sentAt,
  cursor: `c-${id}`,
});

const run = (actions: CallAction[], from: CallState = initialCallState) => actions.reduce(callReducer, from);

const joined: CallAction = {
  type: 'joined',
  response: { self: person(a, 'Ada', { role: 'host' }), participants: [person(a, 'Ada', { role: 'host' }), person(b, 'Bob')], media: { backend: 'livekit', available: true } },
};

describe('call state', () => {
  it('keeps self apart from the others and follows joins, updates and leaves', () => {
    let state = run([joined]);
    expect(state.self?.name).toBe('Ada');
    expect([...state.participants.keys()]).toEqual([b]);
    state = run(
      [
        { type: 'notification', notification: { method: 'participant.updated', data: { participant: person(b, 'Bob', { handRaised: true }) } } },
        { type: 'notification', notification: { method: 'participant.updated', data: { participant: person(a, 'Ada', { role: 'host', media: { audio: false, video: true, screen: false } }) } } },
        { type: 'notification', notification: { method: 'speaker.active', data: { userId: b } } },
      ],
      state,
    );
    expect(state.participants.get(b)?.handRaised).toBe(true);
    expect(state.self?.media.audio).toBe(false);
    expect(state.activeSpeaker).toBe(b);
    state = run([{ type: 'notification', notification: { method: 'participant.left', data: { userId: b, reason: 'left' } } }], state);
    expect(state.participants.size).toBe(0);
    expect(state.activeSpeaker).toBeNull();
    expect(state.names.get(b)).toBe('Bob');
  });

  it('shows a sent message once: pending, then stored, however often the send is retried or echoed', () => {
    const stored = message('m1', a, 'cm-1', '2026-11-30T10:00:05.000Z', 'hello');
    const state = run([
      joined,
      { type: 'chatSending', clientMsgId: 'cm-1', text: 'hello', userId: a, at: '2026-11-30T10:00:04.000Z' },
      { type: 'chatFailed', clientMsgId: 'cm-1' },
      { type: 'chatSending', clientMsgId: 'cm-1', text: 'hello', userId: a, at: '2026-11-30T10:00:06.000Z' },
      { type: 'chatStored', message: stored },
      { type: 'chatStored', message: stored },
      { type: 'chatHistory', messages: [stored], nextCursor: null },
    ]);
    expect(state.chat).toEqual([{ id: 'm1', clientMsgId: 'cm-1', userId: a, text: 'hello', sentAt: stored.sentAt, status: 'sent' }]);
  });

  it('marks a send failed until it is retried, and merges history in time order', () => {
    let state = run([joined, { type: 'chatSending', clientMsgId: 'cm-2', text: 'x', userId: a, at: '2026-11-30T10:01:00.000Z' }, { type: 'chatFailed', clientMsgId: 'cm-2' }]);
    expect(state.chat[0]?.status).toBe('failed');
    state = run(
      [
        { type: 'notification', notification: { method: 'chat.message', data: { message: message('m3', b, 'b-2', '2026-11-30T10:00:30.000Z') } } },
        { type: 'chatHistory', messages: [message('m2', b, 'b-1', '2026-11-30T10:00:10.000Z')], nextCursor: 'older' },
      ],
      state,
    );
    expect(state.chat.map((e) => e.id)).toEqual(['m2', 'm3', 'pending:cm-2']);
    expect(state.chatCursor).toBe('older');
  });

  it('keeps captions once each (by id), with the speaker name, and sorts talk time', () => {
    const caption = {
      id: 'task-1',
      meetingId,
      userId: b,
      name: 'Bob',
      text: 'good morning',
      startedAt: '2026-11-30T10:00:00.000Z',
      endedAt: '2026-11-30T10:00:02.000Z',
      startMs: 60_000,
      endMs: 62_000,
    };
    const state = run([
      joined,
      { type: 'notification', notification: { method: 'caption.new', data: { caption } } },
      { type: 'notification', notification: { method: 'caption.new', data: { caption } } },
      {
        type: 'notification',
        notification: {
          method: 'talktime.updated',
          data: { totals: [{ userId: a, name: 'Ada', talkTimeMs: 1000 }, { userId: b, name: 'Bob', talkTimeMs: 5000 }] },
        },
      },
      { type: 'notification', notification: { method: 'captions.state', data: { enabled: false } } },
    ]);
    expect(state.captions).toHaveLength(1);
    expect(state.captions[0]?.name).toBe('Bob');
    expect(state.talkTime.map((t) => t.name)).toEqual(['Bob', 'Ada']);
    expect(state.captionsEnabled).toBe(false);
  });

  it('replaces the roster on a rejoin but keeps the chat', () => {
    const before = run([joined, { type: 'chatStored', message: message('m1', b, 'x', '2026-11-30T10:00:00.000Z') }]);
    const after = callReducer(before, { type: 'joined', response: { self: person(a, 'Ada', { role: 'host' }), participants: [person(a, 'Ada')], media: { backend: 'livekit', available: true } } });
    expect(after.participants.size).toBe(0);
    expect(after.chat).toHaveLength(1);
  });
});
