// The gateway seen through the real @upstash/redis client: data types, pipelines,
// transactions, auto-pipelining, binary-safe strings and Redis errors, against the
// local Redis. Raw-protocol cases live in gateway-http.test.ts.
import { createHash } from 'node:crypto';
import { createClient, RESP_TYPES } from '@redis/client';
import { Ratelimit } from '@upstash/ratelimit';
import { Redis, errors } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway } from '../src/gateway.ts';
import type { Gateway } from '../src/gateway.ts';
import { gatewaySuite, REDIS_URL } from './gateway-fixture.ts';

const { token: TOKEN, key, usedKeys } = gatewaySuite('upstash-gateway');

let gateway: Gateway;
let url: string;
let redis: Redis;
/** Paths of the requests the gateway received, to see what the client sent. */
let requests: string[] = [];

beforeAll(async () => {
  gateway = createGateway({ redisUrl: REDIS_URL, token: TOKEN });
  ({ url } = await gateway.listen(0, '127.0.0.1'));
  gateway.server.on('request', (req: { method?: string; url?: string }) => requests.push(`${req.method} ${req.url}`));
  redis = new Redis({ url, token: TOKEN, enableTelemetry: false });
});

afterAll(async () => {
  if (usedKeys.size > 0) await redis.del(...usedKeys);
  await gateway?.close();
});

describe('strings', () => {
  it('sets, gets, increments and reads missing keys as null', async () => {
    expect(await redis.set(key('s'), 'hello')).toBe('OK');
    expect(await redis.get(key('s'))).toBe('hello');
    expect(await redis.incr(key('counter'))).toBe(1);
    expect(await redis.incrby(key('counter'), 41)).toBe(42);
    expect(await redis.get(key('counter'))).toBe(42);
    expect(await redis.get(key('missing'))).toBeNull();
    expect(await redis.append(key('s'), ' world')).toBe(11);
    expect(await redis.strlen(key('s'))).toBe(11);
  });

  it('round-trips mset/mget, including values the client serialises as JSON', async () => {
    const record = { id: 7, tags: ['a', 'b'] };
    expect(await redis.mset({ [key('m1')]: 'one', [key('m2')]: 2, [key('m3')]: record })).toBe('OK');
    expect(await redis.mget(key('m1'), key('m2'), key('m3'), key('m-missing'))).toEqual(['one', 2, record, null]);
  });

  it('applies expiry options', async () => {
    expect(await redis.set(key('ex'), 'v', { ex: 100 })).toBe('OK');
    const ttl = await redis.ttl(key('ex'));
    expect(ttl).toBeGreaterThan(95);
    expect(ttl).toBeLessThanOrEqual(100);
    expect(await redis.ttl(key('ttl-missing'))).toBe(-2);

    expect(await redis.set(key('px'), 'short-lived', { px: 80 })).toBe('OK');
    expect(await redis.get(key('px'))).toBe('short-lived');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await redis.get(key('px'))).toBeNull();

    await redis.set(key('later'), 'v');
    expect(await redis.expire(key('later'), 50)).toBe(1);
    expect(await redis.pttl(key('later'))).toBeGreaterThan(45_000);
    expect(await redis.persist(key('later'))).toBe(1);
    expect(await redis.ttl(key('later'))).toBe(-1);
  });
});

describe('data types', () => {
  it('returns HGETALL as an object', async () => {
    expect(await redis.hset(key('h'), { name: 'ada', visits: 3, 'with space': 'yes' })).toBe(3);
    expect(await redis.hgetall(key('h'))).toEqual({ name: 'ada', visits: 3, 'with space': 'yes' });
    expect(await redis.hget(key('h'), 'name')).toBe('ada');
    expect(await redis.hincrby(key('h'), 'visits', 2)).toBe(5);
    expect(await redis.hkeys(key('h'))).toEqual(['name', 'visits', 'with space']);
    expect(await redis.hgetall(key('h-missing'))).toBeNull();
  });

  it('pushes, ranges and pops lists', async () => {
    expect(await redis.rpush(key('l'), 'b', 'c')).toBe(2);
    expect(await redis.lpush(key('l'), 'a')).toBe(3);
    expect(await redis.lrange(key('l'), 0, -1)).toEqual(['a', 'b', 'c']);
    expect(await redis.llen(key('l'))).toBe(3);
    expect(await redis.lpop(key('l'))).toBe('a');
    expect(await redis.rpop(key('l'))).toBe('c');
    expect(await redis.lrange(key('l'), 0, -1)).toEqual(['b']);
  });

  it('ranges sorted sets with scores', async () => {
    expect(
      await redis.zadd(key('z'), { score: 2.5, member: 'b' }, { score: 1, member: 'a' }, { score: 10, member: 'c' }),
    ).toBe(3);
    expect(await redis.zrange(key('z'), 0, -1, { withScores: true })).toEqual(['a', 1, 'b', 2.5, 'c', 10]);
    expect(await redis.zrange(key('z'), 0, 0, { rev: true })).toEqual(['c']);
    expect(await redis.zscore(key('z'), 'b')).toBe(2.5);
    expect(await redis.zrank(key('z'), 'c')).toBe(2);
    expect(await redis.zincrby(key('z'), 0.25, 'a')).toBe(1.25);
  });

  it('adds to and reads streams', async () => {
    const first = await redis.xadd(key('x'), '*', { kind: 'join', user: 'ada' });
    const second = await redis.xadd(key('x'), '*', { kind: 'leave', n: 2 });
    expect(first).toMatch(/^\d+-\d+$/);
    expect(second).toMatch(/^\d+-\d+$/);
    expect(await redis.xlen(key('x'))).toBe(2);
    expect(await redis.xrange(key('x'), '-', '+')).toEqual({
      [first]: { kind: 'join', user: 'ada' },
      [second]: { kind: 'leave', n: 2 },
    });
  });

  it('runs Lua scripts returning nested arrays and integers', async () => {
    const script = "return {KEYS[1], ARGV[1], 42, {1, 'nested'}, redis.call('INCRBY', KEYS[1], ARGV[1])}";
    expect(await redis.eval(script, [key('lua')], ['5'])).toEqual([key('lua'), 5, 42, [1, 'nested'], 5]);
    const sha = await redis.scriptLoad(script);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(await redis.evalsha(sha, [key('lua')], ['5'])).toEqual([key('lua'), 5, 42, [1, 'nested'], 10]);
  });
});

describe('pipelines and transactions', () => {
  it('sends a client pipeline as one POST /pipeline and keeps its order', async () => {
    requests = [];
    const results = await redis
      .pipeline()
      .set(key('p'), 1)
      .incr(key('p'))
      .get(key('p'))
      .hset(key('ph'), { f: 'v' })
      .hgetall(key('ph'))
      .exec();
    expect(results).toEqual(['OK', 2, 2, 1, { f: 'v' }]);
    expect(requests).toEqual(['POST /pipeline']);
  });

  it('reports a failing command of a pipeline without stopping the others', async () => {
    await redis.set(key('p-text'), 'text');
    const pipeline = () => redis.pipeline().set(key('p-after'), 'x').incr(key('p-text')).get(key('p-after'));
    await expect(pipeline().exec()).rejects.toThrow(
      'Command 2 [ incr ] failed: ERR value is not an integer or out of range',
    );
    expect(await pipeline().exec({ keepErrors: true })).toEqual([
      { result: 'OK', error: undefined },
      { result: undefined, error: 'ERR value is not an integer or out of range' },
      { result: 'x', error: undefined },
    ]);
  });

  it('runs multi() as one POST /multi-exec', async () => {
    requests = [];
    const results = await redis.multi().set(key('t'), 1).incr(key('t')).get(key('t')).exec();
    expect(results).toEqual(['OK', 2, 2]);
    expect(requests).toEqual(['POST /multi-exec']);
  });

  it('fails only the failing command of a transaction, as Redis does', async () => {
    await redis.set(key('t-text'), 'text');
    const tx = redis.multi().set(key('t-before'), 'a').incr(key('t-text')).set(key('t-after'), 'b');
    await expect(tx.exec()).rejects.toThrow('Command 2 [ incr ] failed: ERR value is not an integer or out of range');
    expect(await redis.mget(key('t-before'), key('t-after'))).toEqual(['a', 'b']);
  });

  it('discards the whole transaction when Redis rejects a command while queueing', async () => {
    const res = await fetch(`${url}/multi-exec`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify([
        ['SET', key('abort-1'), 'x'],
        ['SET', key('abort-2')],
        ['SET', key('abort-3'), 'y'],
      ]),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error:
        "EXECABORT Transaction discarded because of previous errors. Command 2 (SET) failed: ERR wrong number of arguments for 'set' command",
    });
    expect(await redis.exists(key('abort-1'), key('abort-3'))).toBe(0);
  });

  it('is atomic: a concurrent reader never sees an intermediate value', async () => {
    // 3,000 INCRs span several socket reads on the Redis side; the same body sent to
    // /pipeline lets a reader on another connection see values in between.
    const counter = key('atomic');
    const reader = createClient({ url: REDIS_URL });
    await reader.connect();
    try {
      const seen = new Set<string | null>();
      let reads = 0;
      let done = false;
      const poll = (async () => {
        while (!done) {
          seen.add(await reader.get(counter));
          reads += 1;
        }
      })();
      const tx = redis.multi().set(counter, 0);
      for (let i = 0; i < 3_000; i++) tx.incr(counter);
      const results = await tx.exec();
      done = true;
      await poll;
      expect(results).toHaveLength(3_001);
      expect(results.at(-1)).toBe(3_000);
      expect(reads).toBeGreaterThan(1);
      expect([...seen].filter((value) => value !== null && value !== '3000')).toEqual([]);
    } finally {
      reader.destroy();
    }
  });

  it('auto-pipelines concurrent calls: writes and reads each go out as one /pipeline request', async () => {
    await redis.set(key('ap-a'), 'seed');
    requests = [];
    const results = await Promise.all([
      redis.set(key('ap-a'), 'x'),
      redis.set(key('ap-b'), 'y'),
      redis.incr(key('ap-c')),
      redis.get(key('ap-missing')),
      redis.exists(key('ap-a')),
    ]);
    expect(results).toEqual(['OK', 'OK', 1, null, 1]);
    expect(requests).toEqual(['POST /pipeline', 'POST /pipeline']);
    expect(await redis.mget(key('ap-a'), key('ap-b'), key('ap-c'))).toEqual(['x', 'y', 1]);
  });

  it('sends single commands to POST / when auto-pipelining is off', async () => {
    const plain = new Redis({ url, token: TOKEN, enableTelemetry: false, enableAutoPipelining: false });
    requests = [];
    expect(await plain.set(key('plain'), 'v')).toBe('OK');
    expect(await plain.get(key('plain'))).toBe('v');
    expect(requests).toEqual(['POST /', 'POST /']);
  });
});

describe('binary-safe strings', () => {
  const samples: Record<string, string> = {
    unicode: 'héllo wörld ✓ 日本語 Ωμέγα',
    emoji: '👋🏽 🎉 👨‍👩‍👧‍👦',
    nul: 'a\u0000b\u0000\u0000c',
    controls: 'line1\r\nline2\ttab\u0001\u007f',
    'json-looking': '{"not": "parsed"',
  };

  for (const [name, value] of Object.entries(samples)) {
    it(`round-trips ${name} through strings, hashes and lists`, async () => {
      await redis.set(key(`bin-${name}`), value);
      expect(await redis.get(key(`bin-${name}`))).toBe(value);
      await redis.hset(key(`bin-h-${name}`), { [value]: value });
      expect(await redis.hgetall(key(`bin-h-${name}`))).toEqual({ [value]: value });
      await redis.rpush(key(`bin-l-${name}`), value, 'second');
      expect(await redis.lrange(key(`bin-l-${name}`), 0, -1)).toEqual([value, 'second']);
    });
  }

  it('stores the exact UTF-8 bytes', async () => {
    await redis.set(key('bytes'), 'é👋\u0000');
    const direct = createClient({ url: REDIS_URL });
    await direct.connect();
    try {
      const stored = await direct.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).get(key('bytes'));
      expect(stored).toEqual(Buffer.from([0xc3, 0xa9, 0xf0, 0x9f, 0x91, 0x8b, 0x00]));
    } finally {
      direct.destroy();
    }
  });
});

describe('Redis errors', () => {
  it('passes the Redis error text through to the client', async () => {
    await redis.set(key('err-text'), 'not a number');
    const incr = redis.incr(key('err-text'));
    await expect(incr).rejects.toBeInstanceOf(errors.UpstashError);
    await expect(incr).rejects.toThrow('ERR value is not an integer or out of range');
    await expect(redis.lpush(key('err-text'), 'x')).rejects.toThrow(
      'WRONGTYPE Operation against a key holding the wrong kind of value',
    );
  });

  it('names the command when a single command fails (POST /, HTTP 400)', async () => {
    const plain = new Redis({ url, token: TOKEN, enableTelemetry: false, enableAutoPipelining: false });
    await plain.set(key('err-single'), 'text');
    await expect(plain.incr(key('err-single'))).rejects.toThrow(
      `ERR value is not an integer or out of range, command was: ["incr","${key('err-single')}"]`,
    );
  });

  it('rejects a wrong token with an Unauthorized error', async () => {
    const intruder = new Redis({ url, token: 'wrong-token', enableTelemetry: false, retry: false });
    await expect(intruder.get(key('s'))).rejects.toThrow('Unauthorized: missing or invalid bearer token');
  });
});

describe('Upstash-only script flags (@upstash/ratelimit ≥ 2.2)', () => {
  const flagged = "#!lua flags=allow-key-locking\nredis.call('SET', KEYS[1], ARGV[1])\nreturn redis.call('GET', KEYS[1])";
  const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

  it('runs a script whose shebang carries allow-key-locking, which Redis itself refuses', async () => {
    const direct = createClient({ url: REDIS_URL });
    await direct.connect();
    try {
      await expect(direct.eval(flagged, { keys: [key('flag-direct')], arguments: ['x'] })).rejects.toThrow(/Unexpected flag/);
    } finally {
      await direct.quit();
    }
    expect(await redis.eval(flagged, [key('flag')], ['v1'])).toBe('v1');
  });

  it('answers EVALSHA, SCRIPT EXISTS and SCRIPT LOAD with the SHA the client computed over its text', async () => {
    const text = `${flagged}\n-- ${key('variant')}`;
    expect(await redis.scriptLoad(text)).toBe(sha1(text));
    expect(await redis.scriptExists(sha1(text))).toEqual([1]);
    expect(await redis.evalsha(sha1(text), [key('flag-sha')], ['v2'])).toBe('v2');
    // Other flags are kept; a script without a shebang is passed through unchanged.
    const mixed = "#!lua flags=no-writes,allow-key-locking\nreturn 7";
    expect(await redis.eval(mixed, [], [])).toBe(7);
    expect(await redis.eval('return 8', [], [])).toBe(8);
  });

  it('serves @upstash/ratelimit sliding windows, refunds included', async () => {
    const limiter = new Ratelimit({ redis, limiter: Ratelimit.slidingWindow(2, '60 s'), prefix: key('rl'), ephemeralCache: false, timeout: 0 });
    const id = 'client';
    expect((await limiter.limit(id)).success).toBe(true);
    expect((await limiter.limit(id)).success).toBe(true);
    expect((await limiter.limit(id)).success).toBe(false);
    await limiter.limit(id, { rate: -1 });
    expect((await limiter.getRemaining(id)).remaining).toBe(1);
    // Its keys carry the window number: remembered for clean-up.
    const window = Math.floor(Date.now() / 60_000);
    for (const w of [window - 1, window, window + 1]) usedKeys.add(`${key('rl')}:${id}:${w}`);
  });
});
