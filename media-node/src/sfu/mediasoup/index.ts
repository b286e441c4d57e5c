import type { SfuEngine } from '../engine.ts';
import type { SfuEngineContext } from '../index.ts';

/** Starts the mediasoup engine. (Placeholder until the engine lands: it cannot start yet.) */
export async function createMediasoupEngine(_context: SfuEngineContext): Promise<SfuEngine> {
  throw new Error('the mediasoup engine is not built yet');
}
