// The test side of rtc-participant.ts: starts the participant process inside a
// namespace and talks to it in JSON lines (commands and events are documented there).
//
//   const a = await startRtcParticipant(ns);
//   await a.connect(livekit.url, token);
//   await a.command({ cmd: 'publishTone', frequencyHz: 440 });
//   const heard = await b.waitFor((e) => e.event === 'audio' && e.rms > 0.05);
//   await a.close();
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChildProcess } from 'node:child_process';
import type { Netns } from './netns.ts';

/** Path of the participant process's entry file. */
export const RTC_PARTICIPANT_ENTRY = fileURLToPath(new URL('./rtc-participant.ts', import.meta.url));

/** One line the participant printed. `event` names it (see rtc-participant.ts). */
export type RtcEvent = { event: string; [key: string]: any };

export interface RtcParticipant {
  readonly process: ChildProcess;
  /** Every event so far, oldest first. */
  readonly events: RtcEvent[];
  /** Sends a command and resolves when it is acknowledged; rejects with its error. */
  command(command: { cmd: string; [key: string]: unknown }, timeoutMs?: number): Promise<void>;
  /** connect + wait for `connected`. */
  connect(url: string, token: string, options?: { autoSubscribe?: boolean; reportMs?: number }): Promise<void>;
  /** The first event (already seen, or upcoming) that matches. Rejects after timeoutMs (default 10 s). */
  waitFor(predicate: (event: RtcEvent) => boolean, timeoutMs?: number): Promise<RtcEvent>;
  /** Events after index `from` that match (use with `events.length` as a mark). */
  since(from: number, predicate: (event: RtcEvent) => boolean): RtcEvent[];
  /** Disconnects and waits for the process to exit (KILL after 3 s). Idempotent. */
  close(): Promise<void>;
}

/** Starts one rtc-node participant inside `netns` and waits until it is ready. */
export async function startRtcParticipant(netns: Netns, options: { stderr?: 'inherit' | 'ignore' } = {}): Promise<RtcParticipant> {
  const child = netns.spawn(process.execPath, [RTC_PARTICIPANT_ENTRY], {
    stdio: ['pipe', 'pipe', options.stderr ?? (process.env.RTC_PARTICIPANT_STDERR === 'inherit' ? 'inherit' : 'ignore')],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'error' },
  });
  const events: RtcEvent[] = [];
  let sequence = 0;
  const waiters = new Set<{ predicate: (e: RtcEvent) => boolean; resolve: (e: RtcEvent) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let event: RtcEvent;
    try {
      event = JSON.parse(line) as RtcEvent;
    } catch {
      return; // a stray line from a native library
    }
    events.push(event);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(event)) {
        waiters.delete(waiter);
        waiter.resolve(event);
      }
    }
  });

  const waitFor = (predicate: (e: RtcEvent) => boolean, timeoutMs = 10_000): Promise<RtcEvent> => {
    const seen = events.find(predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (e: RtcEvent) => {
          clearTimeout(timer);
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`rtc participant: no matching event within ${timeoutMs} ms; last: ${JSON.stringify(events.slice(-5))}`));
      }, timeoutMs);
      waiters.add(waiter);
    });
  };

  const command = async (cmd: { cmd: string; [key: string]: unknown }, timeoutMs = 15_000): Promise<void> => {
    const seq = ++sequence;
    const done = waitFor((e) => (e.event === 'ok' || e.event === 'error') && e.seq === seq, timeoutMs);
    child.stdin!.write(`${JSON.stringify({ ...cmd, seq })}\n`);
    const answer = await done;
    if (answer.event === 'error') throw new Error(`rtc participant ${cmd.cmd}: ${answer.message}`);
  };

  let closing: Promise<void> | undefined;
  const participant: RtcParticipant = {
    process: child,
    events,
    command,
    async connect(url, token, connectOptions = {}) {
      await command({ cmd: 'connect', url, token, ...connectOptions }, 20_000);
    },
    waitFor,
    since: (from, predicate) => events.slice(from).filter(predicate),
    close() {
      closing ??= (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        child.stdin!.end(`${JSON.stringify({ cmd: 'disconnect' })}\n`);
        await exited;
        clearTimeout(timer);
      })();
      return closing;
    },
  };
  await waitFor((e) => e.event === 'ready', 15_000);
  return participant;
}
