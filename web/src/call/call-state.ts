import type { Caption, ChatMessage, JoinResponse, LobbyEntrant, Participant, SignalingNotification, TalkTimeEntry } from '@huddle/protocol';
import { applyLobbyNotification, initialLobbyState, isLobbyNotification, lobbyListed, type LobbyState } from './lobby-state.ts';

// The call page's state, as a pure reducer over what the signaling socket and the
// user do. The session (call-session.ts) feeds it; React renders snapshots.

/** A chat line: stored (has an id) or still on its way (`sending`, `failed`). */
export interface ChatEntry {
  /** The server's id once stored; `pending:{clientMsgId}` before. */
  id: string;
  clientMsgId: string;
  userId: string;
  text: string;
  sentAt: string;
  status: 'sent' | 'sending' | 'failed';
}

export interface CallState {
  self: Participant | null;
  /** Everyone else in the room, by user id. */
  participants: ReadonlyMap<string, Participant>;
  /** Oldest first. */
  chat: readonly ChatEntry[];
  /** Cursor for older chat history; null when everything is loaded. */
  chatCursor: string | null;
  /** Latest last; at most CAPTIONS_KEPT. */
  captions: readonly Caption[];
  captionsEnabled: boolean;
  talkTime: readonly TalkTimeEntry[];
  activeSpeaker: string | null;
  /** Display names of everyone seen in this call (also after they left), for chat and captions. */
  names: ReadonlyMap<string, string>;
  /** Who waits to be let in (hosts and cohosts only; empty for everyone else). */
  lobby: LobbyState;
}

/** Captions kept for the caption strip and the transcript panel. */
export const CAPTIONS_KEPT = 100;

export const initialCallState: CallState = {
  self: null,
  participants: new Map(),
  chat: [],
  chatCursor: null,
  captions: [],
  captionsEnabled: true,
  talkTime: [],
  activeSpeaker: null,
  names: new Map(),
  lobby: initialLobbyState,
};

export type CallAction =
  | { type: 'joined'; response: JoinResponse }
  | { type: 'notification'; notification: SignalingNotification }
  | { type: 'selfUpdated'; participant: Participant }
  | { type: 'chatSending'; clientMsgId: string; text: string; userId: string; at: string }
  | { type: 'chatStored'; message: ChatMessage }
  | { type: 'chatFailed'; clientMsgId: string }
  | { type: 'chatHistory'; messages: ChatMessage[]; nextCursor: string | null }
  | { type: 'activeSpeaker'; userId: string | null }
  | { type: 'lobbyListed'; entrants: LobbyEntrant[]; waiting: number };

const withName = (names: ReadonlyMap<string, string>, people: Participant[]): ReadonlyMap<string, string> => {
  if (people.every((p) => names.get(p.userId) === p.name)) return names;
  const next = new Map(names);
  for (const p of people) next.set(p.userId, p.name);
  return next;
};

const toEntry = (message: ChatMessage): ChatEntry => ({
  id: message.id,
  clientMsgId: message.clientMsgId,
  userId: message.userId,
  text: message.text,
  sentAt: message.sentAt,
  status: 'sent',
});

/**
 * Merges stored messages into the chat: one line per message (by id, and a pending
 * line of the same sender and clientMsgId becomes the stored one), oldest first.
 */
export function mergeChat(chat: readonly ChatEntry[], messages: ChatMessage[]): readonly ChatEntry[] {
  if (messages.length === 0) return chat;
  const byId = new Set(chat.map((e) => e.id));
  let next = [...chat];
  let changed = false;
  for (const message of messages) {
    if (byId.has(message.id)) continue;
    const pending = next.findIndex((e) => e.status !== 'sent' && e.clientMsgId === message.clientMsgId && e.userId === message.userId);
    if (pending >= 0) next = next.filter((_, i) => i !== pending);
    next.push(toEntry(message));
    byId.add(message.id);
    changed = true;
  }
  if (!changed) return chat;
  // Stable: stored lines by time, pending lines stay last.
  return next.sort((a, b) => (a.status === 'sent' ? 0 : 1) - (b.status === 'sent' ? 0 : 1) || a.sentAt.localeCompare(b.sentAt));
}

function applyNotification(state: CallState, n: SignalingNotification): CallState {
  if (isLobbyNotification(n)) return { ...state, lobby: applyLobbyNotification(state.lobby, n) };
  switch (n.method) {
    case 'participant.joined':
    case 'participant.updated': {
      const p = n.data.participant;
      if (state.self && p.userId === state.self.userId) return { ...state, self: p, names: withName(state.names, [p]) };
      const participants = new Map(state.participants);
      participants.set(p.userId, p);
      return { ...state, participants, names: withName(state.names, [p]) };
    }
    case 'participant.left': {
      if (!state.participants.has(n.data.userId)) return state;
      const participants = new Map(state.participants);
      participants.delete(n.data.userId);
      return { ...state, participants, activeSpeaker: state.activeSpeaker === n.data.userId ? null : state.activeSpeaker };
    }
    case 'chat.message':
      return { ...state, chat: mergeChat(state.chat, [n.data.message]) };
    case 'speaker.active':
      return state.activeSpeaker === n.data.userId ? state : { ...state, activeSpeaker: n.data.userId };
    case 'caption.new': {
      const caption = n.data.caption;
      if (state.captions.some((c) => c.id === caption.id)) return state;
      return { ...state, captions: [...state.captions, caption].slice(-CAPTIONS_KEPT), names: withNameOf(state.names, caption.userId, caption.name) };
    }
    case 'talktime.updated':
      return { ...state, talkTime: [...n.data.totals].sort((a, b) => b.talkTimeMs - a.talkTimeMs) };
    case 'captions.state':
      return state.captionsEnabled === n.data.enabled ? state : { ...state, captionsEnabled: n.data.enabled };
    default:
      return state;
  }
}

const withNameOf = (names: ReadonlyMap<string, string>, userId: string, name: string) =>
  names.get(userId) === name ? names : new Map(names).set(userId, name);

/** The next call state. */
export function callReducer(state: CallState, action: CallAction): CallState {
  switch (action.type) {
    case 'joined': {
      // A (re)join brings the room as it is now; chat and captions so far stay.
      const { self, participants } = action.response;
      const others = new Map(participants.filter((p) => p.userId !== self.userId).map((p) => [p.userId, p]));
      return { ...state, self, participants: others, names: withName(state.names, [self, ...participants]) };
    }
    case 'notification':
      return applyNotification(state, action.notification);
    case 'selfUpdated':
      return { ...state, self: action.participant };
    case 'chatSending': {
      const existing = state.chat.find((e) => e.clientMsgId === action.clientMsgId && e.userId === action.userId);
      if (existing?.status === 'sent') return state;
      const entry: ChatEntry = {
        id: `pending:${action.clientMsgId}`,
        clientMsgId: action.clientMsgId,
        userId: action.userId,
        text: action.text,
        sentAt: existing?.sentAt ?? action.at,
        status: 'sending',
      };
      return { ...state, chat: existing ? state.chat.map((e) => (e === existing ? entry : e)) : [...state.chat, entry] };
    }
    case 'chatStored':
      return { ...state, chat: mergeChat(state.chat, [action.message]) };
    case 'chatFailed':
      return {
        ...state,
        chat: state.chat.map((e) => (e.clientMsgId === action.clientMsgId && e.status === 'sending' ? { ...e, status: 'failed' } : e)),
      };
    case 'chatHistory':
      return { ...state, chat: mergeChat(state.chat, action.messages), chatCursor: action.nextCursor };
    case 'activeSpeaker':
      return state.activeSpeaker === action.userId ? state : { ...state, activeSpeaker: action.userId };
    case 'lobbyListed':
      return { ...state, lobby: lobbyListed(state.lobby, action) };
    default: {
      const never: never = action;
      return never;
    }
  }
}
