import { describe, expect, it } from 'vitest';
import { SIGNALING_ABORT_CODE, SignalingClient, SignalingClosedError, SignalingRequestError } from './signaling-client.ts';

/** The browser WebSocket as the client uses it, driven by the test. */
class FakeSocket extends EventTarget {
  readonly sent: string[] = [];
  closedWith: { code?: number; reason?: string } | undefined;
  readonly url: string;
  constructor(url: string) {
    super();
    this.url = url;
  }
  send(data: string) {
    this.sent.push(data);
  }
  close(code?: number, reason?: string) {
    this.closedWith = { code, reason };
  }
  open() {
    this.dispatchEvent(new Event('open'));
  }
  message(frame: unknown) {
    this.dispatchEvent(new MessageEvent('message', { data: typeof frame === 'string' ? frame : JSON.stringify(frame) }));
  }
  serverClose(code: number, reason = '') {
    this.dispatchEvent(Object.assign(new Event('close'), { code, reason }));
  }
}

async function connect() {
  let socket: FakeSocket | undefined;
  const opening = SignalingClient.open('ws://node.test:4000/', 'tok en', {
    socket: (url) => {
      socket = new FakeSocket(url);
      return socket as unknown as WebSocket;
    },
  });
  socket!.open();
  return { client: await opening, socket: socket! };
}

const participant = {
  userId: '11111111-1111-4111-8111-111111111111',
  name: 'Ada',
  role: 'host',
  nodeId: 'n1',
  media: { audio: true, video: false, screen: false },
  handRaised: false,
  joinedAt: '2026-11-30T10:00:00.000Z',
};

describe('signaling client', () => {
  it('opens {url}/ws with the token and pairs each response with its request', async () => {
    const { client, socket } = await connect();
    expect(socket.url).toBe('ws://node.test:4000/ws?access_token=tok%20en');
    const first = client.request({ method: 'hand.raise', data: {} });
    const second = client.request({ method: 'chat.send', data: { text: 'hi', clientMsgId: 'c1' } });
    const [a, b] = socket.sent.map((s) => JSON.parse(s) as { id: number; method: string });
    socket.message({ id: b!.id, ok: false, error: { code: 'rate_limited', message: 'slow down' } });
    socket.message({ id: a!.id, ok: true, data: { participant } });
    expect(await first).toEqual({ participant });
    await expect(second).rejects.toMatchObject({ code: 'rate_limited', message: 'slow down' });
  });

  it('delivers notifications that match the protocol and drops the rest', async () => {
    const { client, socket } = await connect();
    const seen: string[] = [];
    client.onNotification((n) => seen.push(n.method));
    socket.message({ method: 'participant.joined', data: { participant } });
    socket.message({ method: 'participant.joined', data: { participant: { ...participant, userId: 'not-a-uuid' } } });
    socket.message({ method: 'made.up', data: {} });
    socket.message('not json');
    socket.message({ method: 'speaker.active', data: { userId: null } });
    expect(seen).toEqual(['participant.joined', 'speaker.active']);
  });

  it('fails pending requests when the socket closes and reports the close once', async () => {
    const { client, socket } = await connect();
    const closes: number[] = [];
    client.onClose((code) => closes.push(code));
    const pending = client.request({ method: 'leave', data: {} });
    socket.serverClose(1001, 'media node shutting down');
    socket.serverClose(1001, 'again');
    await expect(pending).rejects.toMatchObject({ code: 'closed' });
    expect(closes).toEqual([1001]);
    await expect(client.request({ method: 'leave', data: {} })).rejects.toBeInstanceOf(SignalingRequestError);
  });

  it('gives up on a connection that stops answering: the request times out and the socket is aborted', async () => {
    const { client, socket } = await connect();
    const closes: number[] = [];
    client.onClose((code) => closes.push(code));
    await expect(client.request({ method: 'hand.lower', data: {} }, 20)).rejects.toMatchObject({ code: 'timeout' });
    expect(closes).toEqual([SIGNALING_ABORT_CODE]);
    expect(socket.closedWith?.code).toBe(SIGNALING_ABORT_CODE);
    expect(client.closed).toBe(true);
  });

  it('rejects open with the close code when the node refuses the token', async () => {
    let socket: FakeSocket | undefined;
    const opening = SignalingClient.open('ws://node.test', 'bad', {
      socket: (url) => {
        socket = new FakeSocket(url);
        return socket as unknown as WebSocket;
      },
    });
    socket!.serverClose(4401, 'token expired');
    const error = await opening.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SignalingClosedError);
    expect(error).toMatchObject({ code: 4401, message: 'token expired' });
  });
});
