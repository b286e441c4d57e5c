// Issue 12, case 4 on the socket: strings MongoDB or Postgres cannot store (NUL, unpaired
// surrogates, in values and keys) are `bad_request` naming the field, and chat text must
// show something. Raw frames, because JSON.stringify would never produce some of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaNodeServer } from '../src/server.ts';
import { createSuite, mintJoinToken, TestClient } from './signaling-helpers.ts';

const suite = createSuite();
let node: MediaNodeServer;

beforeAll(async () => {
  node = await suite.startNode();
});
afterAll(() => suite.teardown());

async function joinedPair() {
  const m = await suite.seedMeeting(['host', 'attendee']);
  const { client } = await TestClient.join(node, await mintJoinToken({ userId: m.userIds[0]!, meetingId: m.meetingId, role: 'host' }));
  const { client: other } = await TestClient.join(node, await mintJoinToken({ userId: m.userIds[1]!, meetingId: m.meetingId, role: 'attendee' }));
  return { ...m, client, other };
}

/** Sends a raw frame and resolves with the response to request id `id`. */
function raw(client: TestClient, frame: string, id: string) {
  const response = client.waitFor((f) => f.id === id);
  client.sendRaw(frame);
  return response;
}

describe('hostile text on the signaling socket', () => {
  it('refuses unpaired surrogates and NUL in chat text and ids with bad_request naming the field; nothing is stored', async () => {
    const { client, other } = await joinedPair();
    const cases: [string, string][] = [
      ['{"id":"a","method":"chat.send","data":{"text":"hi \\ud800","clientMsgId":"c1"}}', 'data.text'],
      ['{"id":"b","method":"chat.send","data":{"text":"\\udfff hi","clientMsgId":"c2"}}', 'data.text'],
      ['{"id":"c","method":"chat.send","data":{"text":"hi","clientMsgId":"c\\u00003"}}', 'data.clientMsgId'],
      ['{"id":"d","method":"chat.send","data":{"text":"nul \\u0000 inside","clientMsgId":"c4"}}', 'data.text'],
    ];
    for (const [frame, field] of cases) {
      const id = JSON.parse(frame).id as string;
      const response = await raw(client, frame, id);
      expect(response, frame).toMatchObject({ id, ok: false, error: { code: 'bad_request' } });
      expect(response.error.message, frame).toContain(`${field}:`);
    }
    const history = await client.request('chat.history', {});
    expect(history.data.messages).toEqual([]);
    expect(other.notifications('chat.message')).toEqual([]);
    expect(client.ws.readyState).toBe(1); // a bad request is answered, the socket stays
    client.close();
    other.close();
  });

  it('refuses such keys in free-form request data, at any depth', async () => {
    const { client, other } = await joinedPair();
    const frame = '{"id":"k","method":"sfu.connectTransport","data":{"transportId":"t","dtlsParameters":{"role":"auto","fingerprints":[{"algorithm":"sha-256","value":"AA"}],"\\ud800x":1}}}';
    const response = await raw(client, frame, 'k');
    expect(response).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    client.close();
    other.close();
  });

  it('needs chat text to show something: whitespace, zero-width and filler characters alone are refused', async () => {
    const { client, other } = await joinedPair();
    const invisible = ['   ', '\u200b', '\u200b\u200c\u200d\u2060', '\u3164', '\u2800\u2800', '\ufe0f', '\u0301', '\u00ad', '\t\n'];
    for (const [i, text] of invisible.entries()) {
      const response = await client.request('chat.send', { text, clientMsgId: `inv-${i}` });
      expect(response, JSON.stringify(text)).toMatchObject({ ok: false, error: { code: 'bad_request' } });
      expect(response.error.message).toMatch(/data\.text: (text must (not be empty|contain at least one visible character))/);
    }
    const visible = ['ok', '👍', '1', '中文', 'e\u0301', '…', '🇫🇷'];
    for (const [i, text] of visible.entries()) {
      expect((await client.request('chat.send', { text, clientMsgId: `vis-${i}` })).ok, JSON.stringify(text)).toBe(true);
    }
    const history = await client.request('chat.history', { limit: 50 });
    expect(history.data.messages.map((m: { text: string }) => m.text).reverse()).toEqual(visible);
    client.close();
    other.close();
  });
});
