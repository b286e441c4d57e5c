// The network-namespace test support other suites build on (scripts/src/testing/):
// a namespace of the test's own, livekit-server inside it, rtc-node participants
// inside it exchanging a real tone.
import { execFileSync } from 'node:child_process';
import { AccessToken, RoomServiceClient } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetns, type Netns } from '../src/testing/netns.ts';
import { livekitSkipReason, startLivekitServer, type LivekitServer } from '../src/testing/livekit-server.ts';
import { startRtcParticipant } from '../src/testing/rtc-participant-client.ts';

const skip = livekitSkipReason();
if (skip) console.warn(`skipping the namespace/livekit test support suite: ${skip}`);

const apiKey = 'support-test-key';
const apiSecret = 'support-test-secret-0123456789abcdefghijklmnop';

async function token(identity: string, room: string): Promise<string> {
  const t = new AccessToken(apiKey, apiSecret, { identity, ttl: 120 });
  t.addGrant({ room, roomJoin: true, canPublish: true, canSubscribe: true });
  return t.toJwt();
}

const namespaceExists = (name: string): boolean => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(name);

describe.skipIf(skip)('network namespace test support', () => {
  let ns: Netns;
  let livekit: LivekitServer;

  beforeAll(async () => {
    ns = await createNetns();
    livekit = await startLivekitServer(ns, { apiKey, apiSecret });
  });
  afterAll(async () => {
    await livekit?.stop();
    await ns?.close();
  });

  it('gives the namespace only lo and its veth end, reachable from the host end', () => {
    const addresses = execFileSync('ip', ['-n', ns.name, '-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
    const inside = [...addresses.matchAll(/inet (\S+)\//g)].map((m) => m[1]).sort();
    expect(inside).toEqual(['127.0.0.1', ns.nsIp].sort());
    expect(ns.hostIp).toMatch(/^10\.\d+\.\d+\.1$/);
    expect(livekit.url).toBe(`ws://${ns.nsIp}:7880`);
    // livekit-server listens on the namespace address only.
    const listening = execFileSync('ip', ['netns', 'exec', ns.name, 'ss', '-lntuH'], { encoding: 'utf8' });
    for (const line of listening.trim().split('\n')) expect(line).toContain(ns.nsIp);
  });

  it('carries a tone from one rtc-node participant to another and a server-side mute to the listener', async () => {
    const [a, b] = await Promise.all([startRtcParticipant(ns), startRtcParticipant(ns)]);
    try {
      await a.connect(livekit.url, await token('speaker', 'support-room'));
      await b.connect(livekit.url, await token('listener', 'support-room'));
      await a.command({ cmd: 'publishTone', frequencyHz: 440, amplitude: 0.3 });
      // Energy at the tone's frequency (the first windows may hold the start of the stream).
    const heard = await b.waitFor(
      (e) => e.event === 'audio' && e.identity === 'speaker' && e.rms > 0.1 && Math.abs(e.dominantHz - 440) < 20,
      20_000,
    );
    expect(heard.frames).toBeGreaterThan(0);

      const rooms = new RoomServiceClient(livekit.httpUrl, apiKey, apiSecret);
      const speaker = (await rooms.listParticipants('support-room')).find((p) => p.identity === 'speaker');
      const trackSid = speaker?.tracks[0]?.sid;
      expect(trackSid).toBeTruthy();
      await rooms.mutePublishedTrack('support-room', 'speaker', trackSid!, true);
      await b.waitFor((e) => e.event === 'trackMuted' && e.identity === 'speaker' && e.trackSid === trackSid);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('deletes the namespace on close, once', async () => {
    const other = await createNetns();
    const child = other.spawn('sleep', ['30']);
    expect(namespaceExists(other.name)).toBe(true);
    await other.close();
    await other.close();
    expect(namespaceExists(other.name)).toBe(false);
    expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
    expect(execFileSync('ip', ['-o', 'link'], { encoding: 'utf8' })).not.toContain(other.hostInterface);
  });
});
