import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

// Test speech from espeak-ng (Debian): real synthesised English, converted by sox to the
// 16 kHz mono 16-bit PCM the audio tap delivers. Both are installed by the project's
// scripts on CI machines; `speechToolsMissing()` names what is absent for a skip line.

const run = promisify(execFile);

/** Sample rate of every buffer here, Hz. */
export const SPEECH_SAMPLE_RATE = 16_000;

/** Meeting-like English sentences with no digits (a transcriber may write "40" for "forty"). */
export const TEST_SENTENCES = [
  'Good morning everyone, let us start with the quarterly budget review.',
  'The marketing team finished the new website design last week.',
  'We need to hire more engineers before the end of the year.',
  'Please send me the updated report by Friday afternoon.',
  'Our customers are asking for better support on mobile phones.',
  'I think we should move the launch date to next month.',
  'The sales numbers in Europe grew faster than we expected.',
  'Let us schedule a follow up meeting to discuss the contract.',
] as const;

/** The command-line tools the speech fixtures use, each with the flag that prints its version. */
const VERSION_FLAGS = { 'espeak-ng': '--version', sox: '--version', ffmpeg: '-version' } as const;
export type SpeechTool = keyof typeof VERSION_FLAGS;

/** Which of `tools` (default: espeak-ng and sox, what `speak` needs) are missing; empty when all run. */
export async function speechToolsMissing(tools: readonly SpeechTool[] = ['espeak-ng', 'sox']): Promise<string[]> {
  const missing: string[] = [];
  for (const tool of tools) {
    try {
      await run(tool, [VERSION_FLAGS[tool]]);
    } catch {
      missing.push(tool);
    }
  }
  return missing;
}

/**
 * Speaks `text` with espeak-ng (voice `voice`, `wordsPerMinute`) and returns 16 kHz mono
 * Int16 PCM. Throws when a tool is missing or fails.
 */
export async function speak(text: string, options: { voice?: string; wordsPerMinute?: number } = {}): Promise<Int16Array> {
  const dir = await mkdtemp(join(tmpdir(), 'huddle-speech-'));
  try {
    const wav = join(dir, 'speech.wav');
    const raw = join(dir, 'speech.raw');
    await run('espeak-ng', ['-v', options.voice ?? 'en-us', '-s', String(options.wordsPerMinute ?? 160), '-w', wav, text]);
    await run('sox', [wav, '-r', String(SPEECH_SAMPLE_RATE), '-c', '1', '-b', '16', '-e', 'signed-integer', '-t', 'raw', raw]);
    const bytes = await readFile(raw);
    return new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 2)).slice();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `ms` of digital silence. */
export const silence = (ms: number): Int16Array => new Int16Array(Math.round((SPEECH_SAMPLE_RATE * ms) / 1000));

/** White noise at `amplitude` (0…32767), seeded so runs repeat. */
export function noise(ms: number, amplitude: number, seed = 1): Int16Array {
  const out = new Int16Array(Math.round((SPEECH_SAMPLE_RATE * ms) / 1000));
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = Math.round((((s >>> 0) / 0xffffffff) * 2 - 1) * amplitude);
  }
  return out;
}

/** Buffers one after another. */
export function concatPcm(...parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A RIFF/WAVE file of 16 kHz mono 16-bit PCM. */
export function wavFile(pcm: Int16Array): Buffer {
  const data = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(SPEECH_SAMPLE_RATE, 24);
  header.writeUInt32LE(SPEECH_SAMPLE_RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}
