import { describe, expect, it } from 'vitest';
import {
  backoffDelay,
  classifyClose,
  describeConnection,
  nextConnectionState,
  type BackoffOptions,
  type ConnectionEvent,
  type ConnectionState,
} from './connection-machine.ts';

const fixed: BackoffOptions = { baseMs: 500, maxMs: 10_000, maxAttempts: 4, random: () => 0.5 };
const run = (events: ConnectionEvent[], from: ConnectionState = { phase: 'connected' }) =>
  events.reduce<ConnectionState>((state, event) => nextConnectionState(state, event, fixed), from);

describe('connection state machine', () => {
  it('backs off exponentially with a cap and ±20 % jitter', () => {
    expect([1, 2, 3, 4, 6, 10].map((a) => backoffDelay(a, fixed))).toEqual([500, 1000, 2000, 4000, 10_000, 10_000]);
    expect(backoffDelay(1, { ...fixed, random: () => 0 })).toBe(400);
    expect(backoffDelay(1, { ...fixed, random: () => 0.999_999 })).toBe(600);
  });

  it('classifies close codes: replaced and host actions end the call, the rest reconnect', () => {
    expect(classifyClose(4009, 'replaced by a newer connection')).toEqual({ end: 'replaced' });
    expect(classifyClose(1000, 'removed by the host')).toEqual({ end: 'removed' });
    expect(classifyClose(1000, 'meeting ended')).toEqual({ end: 'meeting_ended' });
    expect(classifyClose(1000, 'left')).toEqual({ end: 'left' });
    expect(classifyClose(1001, 'media node shutting down')).toEqual({ reconnect: 'node_shutdown' });
    expect(classifyClose(4401, 'token expired')).toEqual({ reconnect: 'token' });
    expect(classifyClose(1006, '')).toEqual({ reconnect: 'network' });
    expect(classifyClose(1013, 'slow')).toEqual({ reconnect: 'network' });
    expect(classifyClose(1000, 'room closed')).toEqual({ reconnect: 'network' });
  });

  it('reconnects at once after room.closing and keeps the reason through the socket close that follows', () => {
    const state = run([{ type: 'roomClosing' }, { type: 'signalingClosed', code: 1001, reason: 'media node shutting down' }]);
    expect(state).toEqual({ phase: 'reconnecting', reason: 'node_shutdown', attempt: 1, retryInMs: 0 });
    expect(describeConnection(state)).toMatch(/restarting.*Reconnecting \(attempt 1\)/);
  });

  it('counts failed attempts with growing delays, then gives up', () => {
    let state = run([{ type: 'signalingClosed', code: 1006, reason: '' }]);
    expect(state).toMatchObject({ phase: 'reconnecting', reason: 'network', attempt: 1, retryInMs: 500 });
    state = run([{ type: 'attemptFailed', failure: { kind: 'retry', message: 'fetch failed' } }], state);
    expect(state).toMatchObject({ attempt: 2, retryInMs: 1000 });
    state = run(Array(2).fill({ type: 'attemptFailed', failure: { kind: 'retry', message: 'x' } }), state);
    expect(state).toMatchObject({ attempt: 4, retryInMs: 4000 });
    state = run([{ type: 'attemptFailed', failure: { kind: 'retry', message: 'x' } }], state);
    expect(state.phase).toBe('failed');
  });

  it('retries at once when the browser comes back online', () => {
    const state = run([{ type: 'signalingClosed', code: 1006, reason: '' }, { type: 'attemptFailed', failure: { kind: 'retry', message: 'x' } }, { type: 'online' }]);
    expect(state).toMatchObject({ phase: 'reconnecting', attempt: 2, retryInMs: 0 });
  });

  it('goes back to connected after a successful attempt and starts counting afresh after the next drop', () => {
    const state = run([
      { type: 'signalingClosed', code: 1006, reason: '' },
      { type: 'attemptFailed', failure: { kind: 'retry', message: 'x' } },
      { type: 'connected' },
      { type: 'mediaLost' },
    ]);
    expect(state).toMatchObject({ phase: 'reconnecting', reason: 'media', attempt: 1 });
  });

  it('ends when a rejoin finds the meeting over or the user removed, and stays ended', () => {
    const ended = run([
      { type: 'signalingClosed', code: 4003, reason: 'not allowed' },
      { type: 'attemptFailed', failure: { kind: 'ended', reason: 'removed' } },
    ]);
    expect(ended).toEqual({ phase: 'ended', reason: 'removed' });
    expect(run([{ type: 'connected' }, { type: 'roomClosing' }], ended)).toBe(ended);
    expect(run([{ type: 'attemptFailed', failure: { kind: 'fatal', message: 'Signed out' } }], { phase: 'connecting' })).toEqual({
      phase: 'failed',
      message: 'Signed out',
    });
  });

  it('ends on meeting.ended, leave and replacement', () => {
    expect(run([{ type: 'meetingEnded' }])).toEqual({ phase: 'ended', reason: 'meeting_ended' });
    expect(run([{ type: 'left' }])).toEqual({ phase: 'ended', reason: 'left' });
    expect(run([{ type: 'signalingClosed', code: 4009, reason: '' }])).toEqual({ phase: 'ended', reason: 'replaced' });
  });
});
