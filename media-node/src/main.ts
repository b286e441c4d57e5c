import { pino } from 'pino';
import { loadConfig } from './config.ts';
import { MediaNodeServer } from './server.ts';

const config = loadConfig();
const log = pino({ level: config.logLevel, base: { service: 'media-node' } });

let node: MediaNodeServer;
try {
  node = await MediaNodeServer.create(config, log);
} catch (error) {
  log.fatal({ err: error instanceof Error ? error.message : String(error) }, 'media node failed to start');
  process.exit(1);
}

async function shutdown(signal: string): Promise<void> {
  log.info({ signal }, 'shutting down');
  const timer = setTimeout(() => {
    log.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting');
    process.exit(1);
  }, config.shutdownTimeoutMs);
  timer.unref();
  await node.close();
  process.exit(0);
}

process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
