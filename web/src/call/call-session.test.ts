import type { ChatMessage, Participant } from '@huddle/protocol';
import { describe, expect, it } from 'vitest';
import { AdapterEvents, type MediaAdapter, type MediaSession } from '../media/adapter.ts';
import { SignalingClient } from '../signaling/signaling-client.ts';
import { CallSession, JoinFailure, type JoinGrant } from './call-session.ts';

const meetingId = '99999999-9999-4999-8999-999999999999';
const self: Participant = {
  userId: '11111111-1111-4111-8111-111111111111',
  name: 'Ada',
  role: 'host',
  nodeId: 'node-1',
  media: { audio: false, video: false, screen: false },
  handRaised: false,
  joinedAt: '2026-11-30T10:00:00.000Z',
};

/** A media node's signaling socket: answers requests like the room does, records them. */
class FakeNodeSocket extends EventTarget {
  static all: FakeNodeSocket[] = [];
  readonly requests: { method: string; data: Record<string, unknown> }[] = [];
  readonly stored = new Map<string, ChatMessage>();
  participant = { ...self };
  readonly url: string;
  constructor(url: string) {
    super();
    this.url = url;
    FakeNodeSocket.all.push(this);
    queueMicrotask(() => this.dispatchEvent(new Event('open')));
  }
  send(text: string) {
    const { id, method, data } = JSON.parse(text) as { id: number; method: string; data: Record<string, unknown> };
    this.requests.push({ method, data });
    const reply = (payload: unknown) =>
      queueMicrotask(() => this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify({ id, ok: true, data: payload }) })));
    switch (method) {
      case 'join':
        return reply({ self: this.participant, participants: [this.participant], media: { backend: 'livekit', available: true } });
      case 'media.setState':
        this.participant = { ...this.participant, media: { ...this.participant.media, ...data } };
        return reply({ participant: this.participant });
      case 'chat.history':
        return reply({ messages: [...this.stored.values()], nextCursor: null });
      case 'chat.send': {
        const clientMsgId = String(data.clientMsgId);
        const message: ChatMessage = {
          id: `m-${clientMsgId}`,
          meetingId,
          userId: self.userId,
          text: String(data.text),
          clientMsgId,
          sentAt: '2026-11-30T10:01:00.000Z',
          cursor: 'c',
        };
        this.stored.set(clientMsgId, message);
        return reply({ message, duplicate: false });
      }
      case 'lobby.list':
        return reply({ entrants: [], waiting: 0 });
      default:
        return reply({});
    }
  }
  close() {}
  notify(frame: unknown) {
    this.dispatchEvent(new MessageEvent('message', { data: JSON.stringify(frame) }));
  }
  serverClose(code: number, reason: string) {
    this.dispatchEvent(Object.assign(new Event('close'), { code, reason }));
  }
}

class FakeAdapter implements MediaAdapter {
  readonly backend = 'livekit' as const;
  readonly events = new AdapterEvents();
  readonly sessions: MediaSession[] = [];
  closed = false;
  on = this.events.on.bind(this.events);
  async connect(session: MediaSession) {
    this.sessions.push(session);
  }
  async publish() {}
  async setMuted() {}
  async unpublish() {}
  async close() {
    this.closed = true;
  }
}

const waitFor = async (predicate: () => boolean, ms = 3000) => {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 10));
  }
};

function setUp(join: (id: string) => Promise<JoinGrant>) {
  FakeNodeSocket.all = [];
  const adapter = new FakeAdapter();
  const session = new CallSession({
    meetingId,
    join,
    createAdapter: () => adapter,
    openSignaling: (url, token) => SignalingClient.open(url, token, { socket: (u) => new FakeNodeSocket(u) as unknown as WebSocket }),
  });
  return { session, adapter };
}

const grant = (n: number): JoinGrant => ({ backend: 'livekit', url: `ws://node-${n}`, token: `token-${n}`, livekitUrl: 'ws://livekit' });

describe('call session', () => {
  it('joins through the edge, connects media with the grant, and tells the room its media state', async () => {
    const { session, adapter } = setUp(async () => grant(1));
    await session.start({ micMuted: true, cameraOff: true });
    expect(session.snapshot().connection).toEqual({ phase: 'connected' });
    expect(adapter.sessions[0]).toMatchObject({ token: 'token-1', media: { backend: 'livekit', livekitUrl: 'ws://livekit' }, selfUserId: self.userId });
    expect(FakeNodeSocket.all[0]?.url).toBe('ws://node-1/ws?access_token=token-1');
    expect(FakeNodeSocket.all[0]?.requests.map((r) => r.method).slice(0, 2)).toEqual(['join', 'media.setState']);
    await session.dispose();
  });

  it('after room.closing rejoins through the edge (another node) and delivers a message sent meanwhile exactly once', async () => {
    let joins = 0;
    const { session, adapter } = setUp(async () => grant(++joins));
    await session.start({ micMuted: true, cameraOff: true });
    const first = FakeNodeSocket.all[0]!;
    first.notify({ method: 'room.closing', data: { reason: 'node_shutdown' } });
    first.serverClose(1001, 'media node shutting down');
    expect(session.snapshot().connection.phase).toBe('reconnecting');
    session.sendChat('sent while moving', 'cm-1');
    await waitFor(() => session.snapshot().connection.phase === 'connected');
    expect(joins).toBe(2);
    expect(adapter.sessions.map((s) => s.token)).toEqual(['token-1', 'token-2']);
    const second = FakeNodeSocket.all[1]!;
    await waitFor(() => session.snapshot().call.chat.some((e) => e.status === 'sent'));
    expect(second.requests.filter((r) => r.method === 'chat.send')).toHaveLength(1);
    expect(session.snapshot().call.chat).toEqual([expect.objectContaining({ id: 'm-cm-1', clientMsgId: 'cm-1', status: 'sent' })]);
    await session.dispose();
  });

  it('ends on meeting.ended and closes media; a rejoin refused with 409 ends it too', async () => {
    const { session, adapter } = setUp(async () => grant(1));
    await session.start({ micMuted: true, cameraOff: true });
    FakeNodeSocket.all[0]!.notify({ method: 'meeting.ended', data: { meetingId, endedAt: '2026-11-30T10:05:00.000Z' } });
    expect(session.snapshot().connection).toEqual({ phase: 'ended', reason: 'meeting_ended' });
    await waitFor(() => adapter.closed);

    let calls = 0;
    const refused = setUp(async () => {
      calls += 1;
      if (calls > 1) throw new JoinFailure(409, 'meeting_ended', 'The meeting has ended.');
      return grant(1);
    });
    await refused.session.start({ micMuted: true, cameraOff: true });
    FakeNodeSocket.all[0]!.serverClose(1006, '');
    await waitFor(() => refused.session.snapshot().connection.phase === 'ended');
    expect(refused.session.snapshot().connection).toEqual({ phase: 'ended', reason: 'meeting_ended' });
  });
});
