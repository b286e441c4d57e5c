import { SIGNALING_CLOSE_CODES } from '@huddle/protocol';

// The call's connection state machine: what the page does after the signaling socket
// or the media connection drops. It is pure (no timers, no sockets): the call session
// feeds it events and acts on the state it returns — schedule a reconnect through the
// edge after `retryInMs`, tear down on `ended`, show `phase` to the user.

/** Why the call stopped for good. */
export type EndReason = 'left' | 'removed' | 'meeting_ended' | 'replaced';

/** Why the page is reconnecting. */
export type ReconnectReason = 'network' | 'node_shutdown' | 'media' | 'token';

export type ConnectionState =
  | { phase: 'connecting' }
  | { phase: 'connected' }
  | { phase: 'reconnecting'; reason: ReconnectReason; attempt: number; retryInMs: number }
  | { phase: 'ended'; reason: EndReason }
  | { phase: 'failed'; message: string };

/** What went wrong in one reconnect attempt (the edge's join, the socket, the media). */
export type AttemptFailure =
  /** Worth another try: network errors, 5xx/503, a node that refused and may be gone. */
  | { kind: 'retry'; message: string }
  /** The meeting is over or the user may not be in it any more. */
  | { kind: 'ended'; reason: EndReason }
  /** Nothing a retry can fix (signed out, …). */
  | { kind: 'fatal'; message: string };

export type ConnectionEvent =
  | { type: 'connected' }
  | { type: 'signalingClosed'; code: number; reason: string }
  | { type: 'roomClosing' }
  | { type: 'mediaLost' }
  | { type: 'meetingEnded' }
  | { type: 'left' }
  | { type: 'attemptFailed'; failure: AttemptFailure }
  /** The browser is back online: retry now instead of waiting out the backoff. */
  | { type: 'online' };

export interface BackoffOptions {
  /** First delay after a drop, in ms. */
  baseMs: number;
  /** Longest delay, in ms. */
  maxMs: number;
  /** Attempts before giving up. */
  maxAttempts: number;
  /** Random factor source in [0, 1): ±20 % jitter so a drained node's clients do not return in step. */
  random: () => number;
}

export const defaultBackoff: BackoffOptions = { baseMs: 500, maxMs: 10_000, maxAttempts: 15, random: Math.random };

/** Delay before attempt `attempt` (1-based), in ms: doubling from baseMs, capped, with jitter. */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const plain = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(plain * (0.8 + 0.4 * options.random()));
}

/** How a closed signaling socket ends or continues the call. */
export function classifyClose(code: number, reason: string): { end: EndReason } | { reconnect: ReconnectReason } {
  switch (code) {
    case SIGNALING_CLOSE_CODES.replaced:
      return { end: 'replaced' };
    case SIGNALING_CLOSE_CODES.goingAway:
      return { reconnect: 'node_shutdown' };
    case SIGNALING_CLOSE_CODES.invalidToken:
    case SIGNALING_CLOSE_CODES.expiredToken:
    case SIGNALING_CLOSE_CODES.forbidden:
      // A fresh join through the edge decides: it answers 404/409 when the user is out.
      return { reconnect: 'token' };
    case SIGNALING_CLOSE_CODES.normal:
      if (/removed/i.test(reason)) return { end: 'removed' };
      if (/meeting ended/i.test(reason)) return { end: 'meeting_ended' };
      if (/^left$/i.test(reason)) return { end: 'left' };
      return { reconnect: 'network' };
    default:
      return { reconnect: 'network' };
  }
}

function reconnecting(reason: ReconnectReason, attempt: number, options: BackoffOptions, immediate = false): ConnectionState {
  if (attempt > options.maxAttempts) {
    return { phase: 'failed', message: 'Could not reconnect to the meeting. Check your connection and join again.' };
  }
  return { phase: 'reconnecting', reason, attempt, retryInMs: immediate ? 0 : backoffDelay(attempt, options) };
}

/** The next state. Terminal states (ended, failed) never change. */
export function nextConnectionState(state: ConnectionState, event: ConnectionEvent, options: BackoffOptions = defaultBackoff): ConnectionState {
  if (state.phase === 'ended' || state.phase === 'failed') return state;
  switch (event.type) {
    case 'connected':
      return { phase: 'connected' };
    case 'left':
      return { phase: 'ended', reason: 'left' };
    case 'meetingEnded':
      return { phase: 'ended', reason: 'meeting_ended' };
    case 'roomClosing':
      // The node drains: rejoin through the edge (which places the meeting elsewhere) at once.
      return state.phase === 'reconnecting' ? state : reconnecting('node_shutdown', 1, options, true);
    case 'signalingClosed': {
      const outcome = classifyClose(event.code, event.reason);
      if ('end' in outcome) return { phase: 'ended', reason: outcome.end };
      if (state.phase === 'reconnecting') return state;
      return reconnecting(outcome.reconnect, 1, options, outcome.reconnect === 'node_shutdown');
    }
    case 'mediaLost':
      return state.phase === 'reconnecting' ? state : reconnecting('media', 1, options);
    case 'attemptFailed': {
      const { failure } = event;
      if (failure.kind === 'ended') return { phase: 'ended', reason: failure.reason };
      if (failure.kind === 'fatal') return { phase: 'failed', message: failure.message };
      if (state.phase !== 'reconnecting') return reconnecting('network', 1, options);
      return reconnecting(state.reason, state.attempt + 1, options);
    }
    case 'online':
      return state.phase === 'reconnecting' ? { ...state, retryInMs: 0 } : state;
    default: {
      const never: never = event;
      return never;
    }
  }
}

/** What the page says while in `state` (for the status banner and screen readers). */
export function describeConnection(state: ConnectionState): string {
  switch (state.phase) {
    case 'connecting':
      return 'Connecting…';
    case 'connected':
      return 'Connected';
    case 'reconnecting': {
      const why =
        state.reason === 'node_shutdown'
          ? 'The meeting server is restarting'
          : state.reason === 'media'
            ? 'Media connection lost'
            : 'Connection lost';
      return `${why}. Reconnecting (attempt ${state.attempt})…`;
    }
    case 'ended':
      return state.reason === 'removed'
        ? 'You were removed from the meeting'
        : state.reason === 'replaced'
          ? 'You joined from another tab or device'
          : state.reason === 'meeting_ended'
            ? 'The meeting has ended'
            : 'You left the meeting';
    case 'failed':
      return state.message;
    default: {
      const never: never = state;
      return never;
    }
  }
}
