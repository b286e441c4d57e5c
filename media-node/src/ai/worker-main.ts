// A standalone AI worker process: `node media-node/src/ai/worker-main.ts`, configured by
// environment (see config.ts). SIGTERM/SIGINT drain the pool (finish or hand back
// in-flight tasks) and exit 0. The media node runs the same pool in-process.
import { pino } from 'pino';
import { loadAiWorkerConfig } from './config.ts';
import { AiWorkerPool } from './pool.ts';

const { logLevel, ...config } = loadAiWorkerConfig();
const log = pino({ level: logLevel, base: { service: 'ai-worker' } });

let pool: AiWorkerPool;
try {
  pool = await AiWorkerPool.create({ ...config, log });
} catch (error) {
  log.fatal({ err: error instanceof Error ? error.message : String(error) }, 'ai worker failed to start');
  process.exit(1);
}
// A parent (tests, supervisors) can wait for this line on stdout.
process.stdout.write(`${JSON.stringify({ ready: true, consumer: pool.consumer, pid: process.pid })}\n`);

async function shutdown(signal: string): Promise<void> {
  log.info({ signal }, 'ai worker draining');
  await pool.close();
  process.exit(0);
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
