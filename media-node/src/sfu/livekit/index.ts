import type { SfuEngine } from '../engine.ts';
import type { SfuEngineContext } from '../index.ts';

/** Starts the livekit engine. (Placeholder until the engine lands: it cannot start yet.) */
export async function createLivekitEngine(_context: SfuEngineContext): Promise<SfuEngine> {
  throw new Error('the livekit engine is not built yet');
}
