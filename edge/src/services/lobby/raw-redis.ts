import { Redis } from '@upstash/redis/cloudflare';
import type { RequestDeps } from '../../env.ts';

// @upstash/redis JSON-parses every string it reads back by default, so a guest named
// `123` or `{"a":1}` would come back as a number or an object. Lobby and guest state
// holds text people typed: it is read with a client that returns strings as stored
// (the media node reads the same hashes with ioredis, which never parses).
const clients = new WeakMap<RequestDeps, Redis>();

/** A Redis client of this request that returns stored strings unparsed. */
export function rawRedis(deps: RequestDeps): Redis {
  let client = clients.get(deps);
  if (!client) {
    client = new Redis({
      url: deps.config.upstash.url,
      token: deps.config.upstash.token,
      automaticDeserialization: false,
      retry: { retries: 2, backoff: (attempt) => 50 * 2 ** attempt },
    });
    clients.set(deps, client);
  }
  return client;
}

/** HGETALL through the raw client: the reply is a flat [field, value, …] list; as a record of strings. */
export async function hgetallRaw(redis: Redis, key: string): Promise<Record<string, string>> {
  const reply = (await redis.hgetall(key)) as unknown;
  const hash: Record<string, string> = {};
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) hash[String(reply[i])] = String(reply[i + 1]);
  } else if (reply && typeof reply === 'object') {
    for (const [field, value] of Object.entries(reply)) hash[field] = String(value);
  }
  return hash;
}
