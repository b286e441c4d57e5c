// Part of `npm run bench:livekit` (scripts/bench/livekit.ts): many rtc-node subscribers
// in ONE process (one Room per subscriber), run inside the bench's network namespace.
// Reads JSON lines on stdin:
//   {"cmd":"connect","url":"ws://…","tokens":["…", …]}  joins one Room per token (auto-subscribe)
//   {"cmd":"exit"}
// Prints JSON lines: {"event":"connected","count":n} once all are in, {"event":"audio",
// "rms":…} every second from the first subscriber (it alone decodes audio, to prove
// media flows; the others leave decoding off so the process's CPU stays small), and
// {"event":"error","message":…}.
import { createInterface } from 'node:readline';
import { AudioStream, dispose, type RemoteTrack, Room, RoomEvent, TrackKind } from '@livekit/rtc-node';

const emit = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};
const rooms: Room[] = [];

async function measure(track: RemoteTrack): Promise<void> {
  const stream = new AudioStream(track, { sampleRate: 16_000, numChannels: 1 });
  let sum = 0;
  let count = 0;
  let last = Date.now();
  for await (const frame of stream) {
    for (const v of frame.data) sum += (v / 32_768) ** 2;
    count += frame.data.length;
    if (Date.now() - last >= 1_000) {
      emit({ event: 'audio', rms: Math.sqrt(sum / Math.max(1, count)) });
      sum = 0;
      count = 0;
      last = Date.now();
    }
  }
}

async function connect(url: string, tokens: string[]): Promise<void> {
  const first = rooms.length === 0;
  const batch = tokens.map(async (token, i) => {
    const room = new Room();
    rooms.push(room);
    if (first && i === 0) {
      room.on(RoomEvent.TrackSubscribed, (track) => {
        if (track.kind === TrackKind.KIND_AUDIO) void measure(track);
      });
    }
    await room.connect(url, token, { autoSubscribe: true, dynacast: false });
  });
  await Promise.all(batch);
  emit({ event: 'connected', count: rooms.length });
}

async function exit(): Promise<never> {
  await Promise.allSettled(rooms.map((room) => room.disconnect()));
  await dispose().catch(() => undefined);
  process.exit(0);
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    const command = JSON.parse(line) as { cmd: string; url?: string; tokens?: string[] };
    if (command.cmd === 'connect') {
      connect(String(command.url), command.tokens ?? []).catch((error: unknown) => emit({ event: 'error', message: String(error) }));
    } else if (command.cmd === 'exit') void exit();
  })
  .on('close', () => void exit());
process.on('SIGTERM', () => void exit());
