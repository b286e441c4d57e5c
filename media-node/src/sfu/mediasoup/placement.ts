// Where meetings and participants go: pure functions over load figures, so the policy
// is tested without workers.

/** What one worker carries now. */
export interface WorkerLoad {
  /** The worker's slot (0 … MEDIASOUP_WORKERS − 1). */
  slot: number;
  /** Consumers on the worker (client, pipe and audio-tap consumers). */
  consumers: number;
  /** CPU the worker used over the last sampling interval, % of one core. */
  cpuPercent: number;
  routers: number;
}

/**
 * How many consumers one core's worth of CPU is worth when the two figures are
 * combined: mediasoup's guideline of about 500 consumers per worker at a full core.
 */
export const CONSUMERS_PER_CPU_PERCENT = 5;

/**
 * A worker's load in consumer equivalents: the larger of its consumer count and its CPU
 * use. Consumers say what a worker is committed to (a new one has not sent a packet
 * yet); CPU says what it really costs (a few video consumers can cost more than many
 * audio ones). Taking the larger keeps a worker that is busy by either measure from
 * looking idle.
 */
export function loadScore(load: WorkerLoad): number {
  return Math.max(load.consumers, load.cpuPercent * CONSUMERS_PER_CPU_PERCENT);
}

/**
 * The least-loaded worker among `loads` (never round-robin): lowest `loadScore`, then
 * fewer routers, then the lower slot. Slots in `exclude` are skipped.
 * @returns the slot, or undefined when no worker is left.
 */
export function pickLeastLoadedWorker(loads: readonly WorkerLoad[], exclude: ReadonlySet<number> = new Set()): number | undefined {
  let best: WorkerLoad | undefined;
  for (const load of loads) {
    if (exclude.has(load.slot)) continue;
    if (!best || compareLoads(load, best) < 0) best = load;
  }
  return best?.slot;
}

function compareLoads(a: WorkerLoad, b: WorkerLoad): number {
  return loadScore(a) - loadScore(b) || a.routers - b.routers || a.slot - b.slot;
}

/** One router of a meeting, as placement sees it. */
export interface MeetingRouterLoad {
  /** The worker slot the router runs on. */
  slot: number;
  /** Consumers on the router's transports (including pipe consumers feeding other routers). */
  consumers: number;
}

/** Where a meeting's next participant consumes: an existing router (index into the list) or a new one. */
export type RouterChoice = { kind: 'existing'; index: number } | { kind: 'new'; slot: number };

/**
 * Places a participant in a meeting whose routers are `routers` (the first is the
 * meeting's main router). The router with the fewest consumers below `consumersMax`
 * takes it; when every router is at the threshold, a new router on the least-loaded
 * worker that hosts none of the meeting's routers yet (the meeting's media reaches it
 * through pipeToRouter). When every worker already has one, the least-filled router
 * takes the participant anyway: the threshold spreads load, it never refuses people.
 * @param routers at least one router.
 */
export function chooseRouter(routers: readonly MeetingRouterLoad[], consumersMax: number, workers: readonly WorkerLoad[]): RouterChoice {
  let fewest = 0;
  routers.forEach((router, index) => {
    if (router.consumers < (routers[fewest]?.consumers ?? Number.POSITIVE_INFINITY)) fewest = index;
  });
  if ((routers[fewest]?.consumers ?? 0) < consumersMax) return { kind: 'existing', index: fewest };
  const slot = pickLeastLoadedWorker(workers, new Set(routers.map((r) => r.slot)));
  return slot === undefined ? { kind: 'existing', index: fewest } : { kind: 'new', slot };
}
