/**
 * In-process token buckets keyed by string (per node). A user holds one signaling
 * connection at a time (a newer one replaces the older), so per node is per user.
 * Buckets idle long enough to be full again are forgotten on the next sweep.
 */
export class TokenBuckets {
  readonly #ratePerSecond: number;
  readonly #burst: number;
  readonly #buckets = new Map<string, { tokens: number; atMs: number }>();
  #lastSweepMs = 0;

  /** `ratePerSecond` tokens are added each second, up to `burst`. */
  constructor(ratePerSecond: number, burst: number) {
    this.#ratePerSecond = ratePerSecond;
    this.#burst = burst;
  }

  /** Takes one token; returns 0 when allowed, else the milliseconds until one is available. */
  take(key: string, nowMs: number = performance.now()): number {
    this.#sweep(nowMs);
    const bucket = this.#buckets.get(key) ?? { tokens: this.#burst, atMs: nowMs };
    bucket.tokens = Math.min(this.#burst, bucket.tokens + ((nowMs - bucket.atMs) / 1000) * this.#ratePerSecond);
    bucket.atMs = nowMs;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) / this.#ratePerSecond) * 1000);
  }

  #sweep(nowMs: number): void {
    const fullAfterMs = (this.#burst / this.#ratePerSecond) * 1000;
    if (nowMs - this.#lastSweepMs < fullAfterMs) return;
    this.#lastSweepMs = nowMs;
    for (const [key, bucket] of this.#buckets) if (nowMs - bucket.atMs >= fullAfterMs) this.#buckets.delete(key);
  }
}
