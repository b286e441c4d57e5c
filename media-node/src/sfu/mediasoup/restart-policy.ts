// How soon a dead mediasoup worker is replaced. A worker that dies once after a long
// life is replaced at once (250 ms); one that keeps dying soon after it starts — a
// crash it meets again on every start, e.g. a packet every client sends — is replaced
// ever more slowly, up to one start every 30 s, so a crash loop neither burns the CPU
// nor makes every client rebuild its media twice a second.

/** Restart delays by attempt, ms; the last one repeats. */
export const RESTART_DELAYS_MS = [250, 1_000, 2_000, 5_000, 10_000, 30_000] as const;

/** A worker that lived at least this long before dying counts as having been stable, ms. */
export const STABLE_LIFETIME_MS = 60_000;

/** Delay before the start attempt numbered `attempt` (0-based), ms. */
export function restartDelayMs(attempt: number): number {
  return RESTART_DELAYS_MS[Math.min(Math.max(0, attempt), RESTART_DELAYS_MS.length - 1)]!;
}

/**
 * After a worker's death: which restart attempt it is and how many quick deaths in a row
 * the slot has had. `livedMs` is the dead worker's lifetime (ms); `quickDeaths` the count
 * before this death. A stable life resets the count; each quick death moves one step up
 * RESTART_DELAYS_MS.
 */
export function afterWorkerDeath(livedMs: number, quickDeaths: number): { attempt: number; quickDeaths: number } {
  if (livedMs >= STABLE_LIFETIME_MS) return { attempt: 0, quickDeaths: 0 };
  return { attempt: quickDeaths, quickDeaths: quickDeaths + 1 };
}
