// Shared set-up of the captions suites: a media node whose SFU is the tap engine, its AI
// pool on a private stream pointed at a transcriber, espeak-ng speech, and helpers to
// read captions back.
import { Redis } from 'ioredis';
import { loadAiWorkerConfig } from '../src/ai/config.ts';
import type { MediaNodeServer } from '../src/server.ts';
import { createSuite, mintJoinToken, privateAiQueue, REDIS_URL, TestClient, type Suite } from './signaling-helpers.ts';
import { TapEngine, type TapRoom } from './tap-engine.ts';

/** The suite's transcriber (scripts/services.sh runs it on 8090). */
export const TRANSCRIBE_URL = process.env.TRANSCRIBE_URL ?? `http://127.0.0.1:${process.env.HUDDLE_TRANSCRIBER_PORT ?? 8090}`;

/** True when the transcriber answers its health check. */
export async function transcriberUp(url = TRANSCRIBE_URL): Promise<boolean> {
  const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(5_000) }).catch(() => undefined);
  return res?.ok ?? false;
}

export interface CaptionsSuite {
  suite: Suite;
  node: MediaNodeServer;
  engine: TapEngine;
  redis: Redis;
  /** A meeting with a host and attendees, each joined over a real WebSocket with a display name. */
  meeting(names: string[]): Promise<{ meetingId: string; userIds: string[]; clients: TestClient[]; tap: TapRoom }>;
  teardown(): Promise<void>;
}

/** Starts a node with the tap engine and an AI pool (private stream) using `transcribeUrl`. */
export async function startCaptionsSuite(options: { transcribeUrl?: string; env?: Record<string, string> } = {}): Promise<CaptionsSuite> {
  const suite = createSuite();
  const keys = privateAiQueue();
  const redis = new Redis(REDIS_URL);
  const ai = loadAiWorkerConfig({
    ...suite.env,
    ...keys.env,
    TRANSCRIBE_URL: options.transcribeUrl ?? TRANSCRIBE_URL,
    TRANSCRIBE_MODEL: 'whisper-tiny.en',
    ...options.env,
  });
  const engine = new TapEngine();
  const node = await suite.startNode({ ai }, { sfuEngine: engine });
  return {
    suite,
    node,
    engine,
    redis,
    async meeting(names) {
      const roles = names.map((_, i) => (i === 0 ? 'host' : 'attendee') as 'host' | 'attendee');
      const { meetingId, userIds } = await suite.seedMeeting(roles);
      const clients: TestClient[] = [];
      for (const [i, name] of names.entries()) {
        const token = await mintJoinToken({ userId: userIds[i]!, meetingId, role: roles[i]!, name });
        clients.push((await TestClient.join(node, token)).client);
      }
      const tap = engine.rooms.get(meetingId);
      if (!tap) throw new Error('the tap engine has no room for the meeting');
      return { meetingId, userIds, clients, tap };
    },
    async teardown() {
      await suite.teardown();
      await redis.del(keys.stream, keys.dead, keys.delayed);
      redis.disconnect();
    },
  };
}

/** `caption.new` notifications a client received. */
export const captionsOf = (client: TestClient) =>
  client.notifications('caption.new').map((f) => f.data.caption as { id: string; userId: string; name: string; text: string; startMs: number; endMs: number; endedAt: string });

/** The first sample above `threshold` and the last: the speech inside an espeak clip, ms. */
export function voicedMs(pcm: Int16Array, threshold = 300): number {
  let first = -1;
  let last = -1;
  for (let i = 0; i < pcm.length; i++) {
    if (Math.abs(pcm[i]!) > threshold) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return first < 0 ? 0 : ((last - first + 1) / 16_000) * 1000;
}
