import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

/**
 * The worker binary the engine runs: MEDIASOUP_WORKER_BIN when given, else where
 * mediasoup's own install puts it (its prebuilt download or its build). Checked before
 * mediasoup itself is loaded (a couple of seconds on a busy machine), so a node
 * without a worker finds out at once.
 * Not mediasoup's `workerBin` export: that one also reads MEDIASOUP_WORKER_BIN from the
 * process environment, and the engine reads its settings from its context only.
 * @throws Error (one line) when the file is missing or not executable.
 */
export function resolveWorkerBin(configured: string | undefined): string {
  const workerBin = configured ?? installedWorkerBin();
  try {
    accessSync(workerBin, constants.X_OK);
  } catch {
    throw new Error(`no executable mediasoup worker at ${workerBin} (set MEDIASOUP_WORKER_BIN)`);
  }
  return workerBin;
}

function installedWorkerBin(): string {
  // Resolving does not load the package: …/mediasoup/node/lib/index.js → …/mediasoup.
  const entry = createRequire(import.meta.url).resolve('mediasoup');
  return join(entry, '..', '..', '..', 'worker', 'out', 'Release', 'mediasoup-worker');
}
