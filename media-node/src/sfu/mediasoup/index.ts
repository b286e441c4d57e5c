import type { SfuEngine } from '../engine.ts';
import type { SfuEngineContext } from '../index.ts';
import { loadMediasoupConfig } from './config.ts';
import { resolveWorkerBin } from './worker-bin.ts';

/**
 * Starts the mediasoup engine from the MEDIASOUP_* variables of `context.env`: one
 * worker per slot (MEDIASOUP_WORKERS), each with its WebRtcServer; metrics on the
 * node's registry. The worker binary is MEDIASOUP_WORKER_BIN, else the one mediasoup's
 * own install provides; it is checked before mediasoup is loaded.
 * @throws Error (one line, logged by the caller) on bad settings, a missing worker
 *   binary, or when no worker starts.
 */
export async function createMediasoupEngine(context: SfuEngineContext): Promise<SfuEngine> {
  const config = loadMediasoupConfig(context.env);
  const workerBin = resolveWorkerBin(config.workerBin);
  const [{ setLogEventListeners }, { MediasoupEngine }] = await Promise.all([import('mediasoup'), import('./engine.ts')]);
  const log = context.log.child({ sfu: 'mediasoup' });
  // mediasoup's own log lines (its Node side and, at MEDIASOUP_LOG_LEVEL, its workers)
  // into the node's logger. The listeners are mediasoup's process-wide setting: with
  // several nodes in one process (tests) the last engine started receives them.
  setLogEventListeners({
    onwarn: (namespace, line) => log.warn({ namespace }, line),
    onerror: (namespace, line, error) => {
      // A worker says this on stderr whenever the node closes it (shutdown): not an error.
      if (line.includes('channel remotely closed')) log.info({ namespace }, line);
      else log.error({ namespace, err: error?.message }, line);
    },
  });
  return MediasoupEngine.create({ ...config, workerBin }, log, context.metricsRegistry);
}
