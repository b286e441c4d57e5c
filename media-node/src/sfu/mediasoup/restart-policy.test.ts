import { describe, expect, it } from 'vitest';
import { afterWorkerDeath, RESTART_DELAYS_MS, restartDelayMs, STABLE_LIFETIME_MS } from './restart-policy.ts';

describe('mediasoup worker restart policy', () => {
  it('replaces a worker that died after a stable life at once, whatever came before', () => {
    expect(afterWorkerDeath(STABLE_LIFETIME_MS, 4)).toEqual({ attempt: 0, quickDeaths: 0 });
    expect(restartDelayMs(0)).toBe(250);
  });

  it('backs off a crash loop step by step up to one start every 30 s', () => {
    let quickDeaths = 0;
    const delays: number[] = [];
    for (let death = 0; death < 9; death++) {
      const next = afterWorkerDeath(400, quickDeaths);
      quickDeaths = next.quickDeaths;
      delays.push(restartDelayMs(next.attempt));
    }
    expect(delays).toEqual([250, 1_000, 2_000, 5_000, 10_000, 30_000, 30_000, 30_000, 30_000]);
    expect(Math.max(...delays)).toBe(RESTART_DELAYS_MS.at(-1));
    // One stable life later the next death is replaced at once again.
    expect(afterWorkerDeath(STABLE_LIFETIME_MS + 1, quickDeaths).attempt).toBe(0);
  });
});
