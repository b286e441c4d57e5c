import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Database } from '@huddle/db';
import type { MediaBackend } from '@huddle/protocol';
import type { SfuEngine } from './engine.ts';

export type { AudioTapSink, SfuCounts, SfuEngine, SfuParticipant, SfuRoom, SfuRoomEvents, SpeakerLevel } from './engine.ts';

/** Which engine a node runs: a fixed one, or `auto` (mediasoup when a worker starts, else LiveKit when configured). */
export const sfuEngineChoiceValues = ['mediasoup', 'livekit', 'auto', 'none'] as const;
export type SfuEngineChoice = (typeof sfuEngineChoiceValues)[number];

/** What an engine needs to start. Each engine reads its own part. */
export interface SfuEngineContext {
  log: Logger;
  /** The node's Prometheus registry: engines add their gauges to it. */
  metricsRegistry: Registry;
  /** Engine settings parsed from the environment by the engine's own module (config.ts). */
  env: NodeJS.ProcessEnv;
  /** This node's registry id. */
  nodeId: string;
  /** The node's Redis command connection (publish on meeting channels, roster). */
  redis: Redis;
  /** The node's Postgres (participant status for LiveKit presence). */
  db: Database;
}

/**
 * Starts one engine. Engines live in their own folders and are imported only when
 * chosen, so a node without mediasoup's worker (or without LiveKit) never loads them.
 * A factory throws when its engine cannot start (no worker binary, no LIVEKIT_URL).
 */
export type SfuEngineFactory = (context: SfuEngineContext) => Promise<SfuEngine>;

const factories: Record<MediaBackend, () => Promise<SfuEngineFactory>> = {
  mediasoup: async () => (await import('./mediasoup/index.ts')).createMediasoupEngine,
  livekit: async () => (await import('./livekit/index.ts')).createLivekitEngine,
};

/** The outcome of starting the node's SFU: the engine, or why there is none. */
export interface SfuStartResult {
  engine: SfuEngine | undefined;
  /** The backend the node registers with (also when unavailable: what it was asked to run). */
  backend: MediaBackend;
  /** One line for logs and /ready when no engine runs. */
  problem?: string;
}

/**
 * Starts the engine `choice` names. `auto`: mediasoup if a worker starts, else LiveKit
 * when LIVEKIT_URL is set, else none. A failure is logged once and reported, never
 * thrown: the node still serves signaling and chat, and reports the SFU unavailable on
 * /ready and in the registry (the edge then places no meeting on it).
 */
export async function startSfuEngine(choice: SfuEngineChoice, context: SfuEngineContext): Promise<SfuStartResult> {
  if (choice === 'none') return { engine: undefined, backend: 'mediasoup', problem: 'SFU_ENGINE=none' };
  const order: MediaBackend[] = choice === 'auto' ? ['mediasoup', 'livekit'] : [choice];
  const problems: string[] = [];
  for (const backend of order) {
    if (choice === 'auto' && backend === 'livekit' && !context.env.LIVEKIT_URL) {
      problems.push('livekit: LIVEKIT_URL is not set');
      continue;
    }
    try {
      const create = await factories[backend]();
      const engine = await create(context);
      context.log.info({ backend }, 'SFU engine started');
      return { engine, backend };
    } catch (error) {
      problems.push(`${backend}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  const problem = `no SFU engine runs (${problems.join('; ')})`;
  context.log.warn({ sfuEngine: choice }, problem);
  return { engine: undefined, backend: order[0] ?? 'mediasoup', problem };
}
