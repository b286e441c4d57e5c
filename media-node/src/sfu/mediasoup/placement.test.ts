import { describe, expect, it } from 'vitest';
import { CONSUMERS_PER_CPU_PERCENT, chooseRouter, loadScore, pickLeastLoadedWorker, type WorkerLoad } from './placement.ts';

const load = (slot: number, consumers: number, cpuPercent = 0, routers = 0): WorkerLoad => ({ slot, consumers, cpuPercent, routers });

describe('pickLeastLoadedWorker', () => {
  it('takes the worker with the fewest consumers', () => {
    expect(pickLeastLoadedWorker([load(0, 120), load(1, 30), load(2, 80)])).toBe(1);
  });

  it('takes the worker with less CPU when consumers are equal', () => {
    expect(pickLeastLoadedWorker([load(0, 10, 40), load(1, 10, 5)])).toBe(1);
  });

  it('lets CPU outweigh consumer counts when a worker is busy with few expensive consumers', () => {
    // 20 video consumers at 60 % of a core weigh more than 200 idle audio consumers.
    expect(pickLeastLoadedWorker([load(0, 20, 60), load(1, 200, 10)])).toBe(1);
    expect(loadScore(load(0, 20, 60))).toBe(60 * CONSUMERS_PER_CPU_PERCENT);
  });

  it('breaks ties by fewer routers, then by slot — the same figures always give the same worker', () => {
    expect(pickLeastLoadedWorker([load(0, 0, 0, 3), load(1, 0, 0, 1), load(2, 0, 0, 1)])).toBe(1);
    const figures = [load(3, 5), load(1, 5), load(2, 5)];
    expect(pickLeastLoadedWorker(figures)).toBe(1);
    expect(pickLeastLoadedWorker(figures)).toBe(1);
  });

  it('skips excluded workers and answers undefined when none is left', () => {
    expect(pickLeastLoadedWorker([load(0, 0), load(1, 50)], new Set([0]))).toBe(1);
    expect(pickLeastLoadedWorker([load(0, 0)], new Set([0]))).toBeUndefined();
    expect(pickLeastLoadedWorker([])).toBeUndefined();
  });
});

describe('chooseRouter', () => {
  const workers = [load(0, 300), load(1, 40), load(2, 10)];

  it('keeps a participant on the meeting router while it is below the threshold', () => {
    expect(chooseRouter([{ slot: 0, consumers: 299 }], 300, workers)).toEqual({ kind: 'existing', index: 0 });
  });

  it('opens a router on the least-loaded other worker once every router is at the threshold', () => {
    expect(chooseRouter([{ slot: 0, consumers: 300 }], 300, workers)).toEqual({ kind: 'new', slot: 2 });
    expect(chooseRouter([{ slot: 0, consumers: 300 }, { slot: 2, consumers: 305 }], 300, workers)).toEqual({ kind: 'new', slot: 1 });
  });

  it('fills the emptiest existing router before opening another', () => {
    expect(chooseRouter([{ slot: 0, consumers: 300 }, { slot: 2, consumers: 12 }], 300, workers)).toEqual({ kind: 'existing', index: 1 });
  });

  it('never refuses: with a router on every worker, the least-filled one takes the participant', () => {
    const routers = [
      { slot: 0, consumers: 320 },
      { slot: 1, consumers: 310 },
      { slot: 2, consumers: 330 },
    ];
    expect(chooseRouter(routers, 300, workers)).toEqual({ kind: 'existing', index: 1 });
  });
});
