import { randomUUID } from 'node:crypto';

/** The Redis the gateway suites run against. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * A per-suite token and key space: `key(name)` returns a key unique to this run
 * and remembers it, so the suite can delete exactly what it wrote.
 */
export function gatewaySuite(name: string): { token: string; key: (name: string) => string; usedKeys: Set<string> } {
  const prefix = `test:${name}:${randomUUID()}:`;
  const usedKeys = new Set<string>();
  return {
    token: `test-token-${randomUUID()}`,
    usedKeys,
    key: (keyName) => {
      const full = prefix + keyName;
      usedKeys.add(full);
      return full;
    },
  };
}
