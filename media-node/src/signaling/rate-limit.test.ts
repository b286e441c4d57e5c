import { describe, expect, it } from 'vitest';
import { TokenBuckets } from './rate-limit.ts';

describe('TokenBuckets', () => {
  it('allows a burst, then refills at the rate, per key', () => {
    const buckets = new TokenBuckets(5, 10);
    for (let i = 0; i < 10; i++) expect(buckets.take('a', 1_000)).toBe(0);
    expect(buckets.take('a', 1_000)).toBe(200); // one token every 200 ms
    expect(buckets.take('b', 1_000)).toBe(0); // another key has its own bucket
    expect(buckets.take('a', 1_100)).toBe(100);
    expect(buckets.take('a', 1_200)).toBe(0);
    expect(buckets.take('a', 1_200)).toBe(200);
  });

  it('never holds more than the burst, even after a long pause', () => {
    const buckets = new TokenBuckets(5, 3);
    expect(buckets.take('a', 0)).toBe(0);
    const later = 60_000;
    for (let i = 0; i < 3; i++) expect(buckets.take('a', later)).toBe(0);
    expect(buckets.take('a', later)).toBeGreaterThan(0);
  });
});
