import { Gauge } from 'prom-client';
import type { SfuEngine } from '../engine.ts';
import type { SfuEngineContext } from '../index.ts';
import { Roster } from '../../stores/roster.ts';
import { loadLivekitConfig } from './config.ts';
import { LivekitEngine } from './engine.ts';

export { LivekitEngine } from './engine.ts';
export { LivekitRoom } from './room.ts';

/**
 * Starts the livekit engine from LIVEKIT_* (config.ts). Throws on bad configuration
 * only: an unreachable server makes an engine that is unavailable until it answers.
 */
export async function createLivekitEngine(context: SfuEngineContext): Promise<SfuEngine> {
  const config = loadLivekitConfig(context.env);
  const available = new Gauge({
    name: 'huddle_livekit_available',
    help: '1 while the LiveKit server answers its health call, else 0.',
    registers: [context.metricsRegistry],
  });
  return LivekitEngine.create(
    config,
    { redis: context.redis, db: context.db, roster: new Roster(context.redis), nodeId: context.nodeId, log: context.log },
    available,
  );
}
