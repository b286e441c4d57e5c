// The transcription provider stops mid-meeting and comes back: utterances spoken during
// the outage are captioned once it recovers — every utterance exactly once, none lost.
// The suite runs its OWN transcriber process (the venv scripts/services.sh installed) on
// a free port, so stopping it never touches the shared one.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatPcm, silence, speak, speechToolsMissing } from '../../scripts/src/testing/speech.ts';
import { captionsOf, startCaptionsSuite, transcriberUp, type CaptionsSuite } from './captions-fixtures.ts';
import { eventually, mintJoinToken } from './signaling-helpers.ts';
import { freePort } from '../../scripts/src/testing/ports.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const requirements = join(root, 'scripts/transcriber/requirements.txt');
const toolsDir = process.env.HUDDLE_TOOLS_DIR ?? join(homedir(), '.cache/huddle');
const venvPython = join(toolsDir, `transcriber-${createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 12)}`, 'bin/python');
const missing = await speechToolsMissing();
const skipReason =
  missing.length > 0 ? `${missing.join(', ')} not installed` : !existsSync(venvPython) ? `no transcriber venv at ${venvPython} (bash scripts/services.sh up transcriber)` : undefined;
if (skipReason) console.log(`SKIP captions outage suite: ${skipReason}`);


let port: number;
let url: string;
let provider: ChildProcess | undefined;

async function startProvider(): Promise<void> {
  provider = spawn(venvPython, [join(root, 'scripts/transcriber/server.py')], {
    env: { ...process.env, TRANSCRIBER_HOST: '127.0.0.1', TRANSCRIBER_PORT: String(port), TRANSCRIBER_THREADS: '1' },
    stdio: 'ignore',
  });
  await eventually(() => transcriberUp(url), 60_000, 200);
}

async function stopProvider(): Promise<void> {
  const child = provider;
  provider = undefined;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

let s: CaptionsSuite;
beforeAll(async () => {
  if (skipReason) return;
  port = await freePort();
  url = `http://127.0.0.1:${port}`;
  await startProvider();
  // Retries every 0.5…4 s for up to 12 attempts (~40 s): a provider restart fits easily.
  s = await startCaptionsSuite({ transcribeUrl: url, env: { AI_MAX_ATTEMPTS: '12', AI_BACKOFF_BASE_MS: '500', AI_BACKOFF_MAX_MS: '4000' } });
}, 90_000);
afterAll(async () => {
  await s?.teardown();
  await stopProvider();
});

describe.skipIf(skipReason !== undefined)('captions across a transcription outage', () => {
  it('captions every utterance exactly once when the provider stops and restarts mid-meeting', { timeout: 180_000 }, async () => {
    const { meetingId, userIds, clients, tap } = await s.meeting(['Lou Host', 'Max Guest']);
    await eventually(() => tap.sink);
    const [one, two, three] = await Promise.all([
      speak('The marketing team finished the new website design.'),
      speak('Please send me the updated report by Friday afternoon.'),
      speak('Let us schedule a follow up meeting next week.'),
    ]);
    await tap.play(userIds[1]!, concatPcm(one!, silence(800)));
    await eventually(() => captionsOf(clients[0]!).length === 1, 30_000, 100);

    await stopProvider();
    await tap.play(userIds[1]!, concatPcm(two!, silence(800), three!, silence(800)));
    await new Promise((r) => setTimeout(r, 2_000));
    expect(captionsOf(clients[0]!)).toHaveLength(1); // nothing can be transcribed now

    await startProvider();
    for (const client of clients) await eventually(() => captionsOf(client).length >= 3, 60_000, 100);
    await new Promise((r) => setTimeout(r, 3_000)); // anything delivered twice would show by now
    for (const client of clients) {
      const seen = captionsOf(client);
      expect(seen).toHaveLength(3);
      expect(new Set(seen.map((c) => c.id)).size).toBe(3);
      const text = seen.map((c) => c.text.toLowerCase()).join(' | ');
      for (const word of ['website', 'report', 'meeting']) expect(text).toContain(word);
    }
    const token = await mintJoinToken({ userId: userIds[0]!, meetingId, role: 'host' });
    const res = await fetch(`http://127.0.0.1:${s.node.port}/api/v1/meetings/${meetingId}/transcript`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await res.json()) as { items: unknown[] }).items).toHaveLength(3);
  });
});
