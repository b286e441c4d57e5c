// The gateway's wire protocol, checked with raw fetch and a raw RESP socket where the
// @upstash/redis client can't express the case: auth, request validation, refused
// commands, body limits, base64 byte-exactness, Redis outages and the entrypoint.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'node:http';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGateway, DEFAULT_MAX_BODY_BYTES } from '../src/gateway.ts';
import type { Gateway } from '../src/gateway.ts';
import { gatewaySuite, REDIS_URL } from './gateway-fixture.ts';

const { token: TOKEN, key, usedKeys } = gatewaySuite('upstash-gateway-http');

let gateway: Gateway;
let url: string;

interface CallOptions {
  /** Send `Upstash-Encoding: base64`. */
  base64?: boolean;
  /** Bearer token; `null` sends no Authorization header. */
  token?: string | null;
  method?: string;
  /** Sent as is instead of `JSON.stringify(body)`. */
  raw?: string | Buffer;
}

/** One HTTP request to the gateway; returns status, parsed JSON body and headers. */
async function call(path: string, body?: unknown, options: CallOptions = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const token = options.token === undefined ? TOKEN : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (options.base64) headers['upstash-encoding'] = 'base64';
  const method = options.method ?? 'POST';
  const raw = Buffer.isBuffer(options.raw) ? new Uint8Array(options.raw) : options.raw;
  const payload = raw ?? (body === undefined ? undefined : JSON.stringify(body));
  const res = await fetch(`${url}${path}`, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, text, json: text === '' ? undefined : (JSON.parse(text) as unknown), headers: res.headers };
}

/** SETs `value` with a bare RESP frame over TCP, bypassing the gateway and any client library. */
async function rawTcpSet(name: string, value: Buffer): Promise<string> {
  const { hostname, port } = new URL(REDIS_URL);
  const socket = connect(Number(port || 6379), hostname);
  await once(socket, 'connect');
  const head = `*3\r\n$3\r\nSET\r\n$${Buffer.byteLength(name)}\r\n${name}\r\n$${value.length}\r\n`;
  socket.write(Buffer.concat([Buffer.from(head), value, Buffer.from('\r\n')]));
  const [reply] = (await once(socket, 'data')) as [Buffer];
  socket.destroy();
  return reply.toString('latin1');
}

beforeAll(async () => {
  gateway = createGateway({ redisUrl: REDIS_URL, token: TOKEN });
  ({ url } = await gateway.listen(0, '127.0.0.1'));
});

afterAll(async () => {
  if (usedKeys.size > 0) await call('/', ['DEL', ...usedKeys]);
  await gateway?.close();
});

describe('health', () => {
  it('answers GET /health without a token', async () => {
    expect(await call('/health', undefined, { method: 'GET', token: null })).toMatchObject({
      status: 200,
      json: { status: 'ok' },
    });
  });

  it('refuses other methods on /health', async () => {
    const res = await call('/health', undefined, { method: 'POST', token: null });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('authentication', () => {
  it.each([
    ['no Authorization header', null],
    ['a wrong token', 'wrong'],
    ['a token that is a prefix of the right one', TOKEN.slice(0, -1)],
    ['a token with extra characters', `${TOKEN}x`],
  ])('rejects %s with 401', async (_case, token) => {
    for (const path of ['/', '/pipeline', '/multi-exec', '/get/anything']) {
      const res = await call(path, ['PING'], { token });
      expect(res.status).toBe(401);
      expect(res.json).toEqual({ error: 'Unauthorized: missing or invalid bearer token' });
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('rejects a non-Bearer scheme and accepts the scheme in any case', async () => {
    const basic = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Basic ${TOKEN}` },
      body: '["PING"]',
    });
    expect(basic.status).toBe(401);
    const lower = await fetch(url, { method: 'POST', headers: { authorization: `bearer ${TOKEN}` }, body: '["PING"]' });
    expect(await lower.json()).toEqual({ result: 'PONG' });
  });
});

describe('replies', () => {
  it('returns UTF-8 strings, integers, null and arrays without Upstash-Encoding', async () => {
    expect((await call('/', ['SET', key('r'), 'héllo'])).json).toEqual({ result: 'OK' });
    expect((await call('/', ['GET', key('r')])).json).toEqual({ result: 'héllo' });
    expect((await call('/', ['STRLEN', key('r')])).json).toEqual({ result: 6 });
    expect((await call('/', ['GET', key('r-missing')])).json).toEqual({ result: null });
    expect((await call('/', ['PING'])).json).toEqual({ result: 'PONG' });
    await call('/', ['RPUSH', key('r-list'), 'a', 'b']);
    expect((await call('/', ['LRANGE', key('r-list'), '0', '-1'])).json).toEqual({ result: ['a', 'b'] });
  });

  it('base64-encodes every string except a plain OK with Upstash-Encoding: base64', async () => {
    const b64 = (text: string): string => Buffer.from(text).toString('base64');
    expect((await call('/', ['SET', key('b'), 'héllo'], { base64: true })).json).toEqual({ result: 'OK' });
    expect((await call('/', ['GET', key('b')], { base64: true })).json).toEqual({ result: b64('héllo') });
    expect((await call('/', ['PING'], { base64: true })).json).toEqual({ result: b64('PONG') });
    expect((await call('/', ['TYPE', key('b')], { base64: true })).json).toEqual({ result: b64('string') });
    expect((await call('/', ['STRLEN', key('b')], { base64: true })).json).toEqual({ result: 6 });
    expect((await call('/', ['GET', key('b-missing')], { base64: true })).json).toEqual({ result: null });
    await call('/', ['HSET', key('b-hash'), 'f', 'v']);
    expect((await call('/', ['HGETALL', key('b-hash')], { base64: true })).json).toEqual({ result: [b64('f'), b64('v')] });
    const pipeline = await call('/pipeline', [['SET', key('b'), 'x'], ['GET', key('b')], ['INCR', key('b')]], { base64: true });
    expect(pipeline.json).toEqual([
      { result: 'OK' },
      { result: b64('x') },
      { error: 'ERR value is not an integer or out of range' },
    ]);
  });

  it('writes integers beyond 2^53 digit for digit', async () => {
    const res = await call('/', ['INCRBY', key('big'), '9007199254740993']);
    expect(res.text).toBe('{"result":9007199254740993}');
  });

  it('turns an error nested in a Lua reply into its text', async () => {
    const res = await call('/', ['EVAL', "return {1, redis.error_reply('nested failure'), 'x'}", '0']);
    expect(res.json).toEqual({ result: [1, 'nested failure', 'x'] });
  });

  it('accepts numbers and booleans as arguments, as @upstash/redis sends them', async () => {
    expect((await call('/', ['SET', key('n'), 12.5])).json).toEqual({ result: 'OK' });
    expect((await call('/', ['GET', key('n')])).json).toEqual({ result: '12.5' });
    expect((await call('/', ['SET', key('bool'), true])).json).toEqual({ result: 'OK' });
    expect((await call('/', ['GET', key('bool')])).json).toEqual({ result: 'true' });
  });
});

describe('binary safety', () => {
  const bytes = Buffer.from([0x00, 0xff, 0xfe, 0x80, 0x0d, 0x0a, 0xc3, 0x28, 0xf0, 0x9f, 0x91, 0x8b, 0x7f]);

  it('returns bytes written by a raw TCP client byte for byte in base64', async () => {
    expect(await rawTcpSet(key('raw'), bytes)).toBe('+OK\r\n');
    const single = await call('/', ['GET', key('raw')], { base64: true });
    expect(Buffer.from((single.json as { result: string }).result, 'base64')).toEqual(bytes);

    await call('/', ['RPUSH', key('raw-list'), 'text']);
    await call('/', ['EVAL', "redis.call('RPUSH', KEYS[1], redis.call('GET', KEYS[2]))", '2', key('raw-list'), key('raw')]);
    for (const path of ['/pipeline', '/multi-exec']) {
      const res = await call(path, [['LRANGE', key('raw-list'), '0', '-1'], ['GET', key('raw')]], { base64: true });
      const [range, get] = res.json as [{ result: string[] }, { result: string }];
      expect(range.result.map((item) => Buffer.from(item, 'base64'))).toEqual([Buffer.from('text'), bytes]);
      expect(Buffer.from(get.result, 'base64')).toEqual(bytes);
    }
  });

  it('decodes the same bytes as (lossy) UTF-8 without Upstash-Encoding', async () => {
    await rawTcpSet(key('raw-utf8'), bytes);
    expect((await call('/', ['GET', key('raw-utf8')])).json).toEqual({ result: bytes.toString('utf8') });
  });

  it('stores a raw POST body byte for byte in the path form', async () => {
    const res = await call(`/set/${encodeURIComponent(key('path-bin'))}`, undefined, { raw: bytes });
    expect(res.json).toEqual({ result: 'OK' });
    const read = await call(`/get/${encodeURIComponent(key('path-bin'))}`, undefined, { method: 'GET', base64: true });
    expect(Buffer.from((read.json as { result: string }).result, 'base64')).toEqual(bytes);
  });
});

describe('path form', () => {
  it('runs a command spelled in the path, URL-decoding each segment', async () => {
    const name = key('a/b c');
    expect((await call(`/set/${encodeURIComponent(name)}/v%201`, undefined, { method: 'GET' })).json).toEqual({
      result: 'OK',
    });
    expect((await call('/', ['GET', name])).json).toEqual({ result: 'v 1' });
    expect((await call(`/strlen/${encodeURIComponent(name)}`, undefined, { method: 'GET' })).json).toEqual({
      result: 3,
    });
  });

  it('takes `..` and empty segments literally', async () => {
    // fetch (and a URL string) would normalise the path, so send it as a raw request path.
    const send = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const { hostname, port } = new URL(url);
        const options = { hostname, port, path, headers: { authorization: `Bearer ${TOKEN}` } };
        const req = request(options, (res) => {
          let body = '';
          res.on('data', (chunk: Buffer) => (body += chunk.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    expect(await send(`/set/${encodeURIComponent(key('dots'))}/..`)).toEqual({ status: 200, body: '{"result":"OK"}' });
    expect((await call('/', ['GET', key('dots')])).json).toEqual({ result: '..' });
    expect(await send(`/set/${encodeURIComponent(key('empty'))}/`)).toEqual({ status: 200, body: '{"result":"OK"}' });
    expect((await call('/', ['GET', key('empty')])).json).toEqual({ result: '' });
    expect(await send('//get/x')).toEqual({ status: 400, body: '{"error":"ERR command must start with the command name as a string"}' });
  });

  it('rejects query parameters and bad percent-encoding', async () => {
    expect((await call('/set/k/v?EX=10', undefined, { method: 'GET' })).status).toBe(400);
    expect((await call('/get/%E0%A4%A', undefined, { method: 'GET' })).json).toEqual({
      error: 'ERR malformed percent-encoding in the URL path',
    });
  });
});

describe('request validation', () => {
  it.each([
    ['malformed JSON', '["SET", "k"', /^ERR malformed JSON body: /],
    ['a JSON object', '{"command":"GET"}', /^ERR command must be a JSON array/],
    ['a JSON string', '"GET k"', /^ERR command must be a JSON array/],
    ['an empty command', '[]', /^ERR command is empty$/],
    ['a non-string command name', '[1, 2]', /^ERR command must start with the command name as a string$/],
    ['an object argument', '["SET","k",{"a":1}]', /^ERR command: argument 2 must be a string.*got object$/],
    ['a null argument', '["SET","k",null]', /^ERR command: argument 2 must be a string.*got null$/],
    ['an empty body', '', /^ERR malformed JSON body: /],
  ])('answers 400 to %s on POST /', async (_case, raw, message) => {
    const res = await call('/', undefined, { raw });
    expect(res.status).toBe(400);
    expect((res.json as { error: string }).error).toMatch(message);
  });

  it.each(['/pipeline', '/multi-exec'])('answers 400 to malformed batches on %s', async (path) => {
    const cases: Array<[string, RegExp]> = [
      ['{"a":1}', /^ERR body must be a JSON array of commands/],
      ['[]', /^ERR no commands to run$/],
      ['["SET","k","v"]', /^ERR command 1 must be a JSON array/],
      ['[["PING"],[]]', /^ERR command 2 is empty$/],
      ['[["PING"], ["SET", "k", [1]]]', /^ERR command 2: argument 2 must be a string/],
    ];
    for (const [raw, message] of cases) {
      const res = await call(path, undefined, { raw });
      expect(res.status).toBe(400);
      expect((res.json as { error: string }).error).toMatch(message);
    }
  });

  it('answers 400 to a body that is not UTF-8', async () => {
    const res = await call('/', undefined, { raw: Buffer.from([0x5b, 0x22, 0xff, 0x22, 0x5d]) });
    expect(res).toMatchObject({ status: 400, json: { error: 'ERR request body is not valid UTF-8' } });
  });

  it.each([
    ['GET', '/'],
    ['GET', '/pipeline'],
    ['PUT', '/multi-exec'],
  ])('answers 405 to %s %s', async (method, path) => {
    const res = await call(path, undefined, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
  });

  it('answers 405 to DELETE on the path form', async () => {
    const res = await call('/get/x', undefined, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, POST');
  });
});

describe('refused commands', () => {
  it.each([
    [['BLPOP', 'k', '0'], 'blocking commands would stall'],
    [['brpop', 'k', '1'], 'blocking commands would stall'],
    [['BLMOVE', 'a', 'b', 'LEFT', 'RIGHT', '0'], 'blocking commands would stall'],
    [['BZPOPMIN', 'z', '0'], 'blocking commands would stall'],
    [['WAIT', '1', '0'], 'blocking commands would stall'],
    [['XREAD', 'COUNT', '1', 'BLOCK', '0', 'STREAMS', 's', '$'], 'the BLOCK option would stall'],
    [['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'], 'the BLOCK option would stall'],
    [['SUBSCRIBE', 'chan'], 'pub/sub needs a dedicated connection'],
    [['PSUBSCRIBE', 'chan*'], 'pub/sub needs a dedicated connection'],
    [['MONITOR'], 'it changes the state of the Redis connection'],
    [['SELECT', '1'], 'it changes the state of the Redis connection'],
    [['QUIT'], 'it changes the state of the Redis connection'],
    [['HELLO', '3'], 'it changes the state of the Redis connection'],
    [['WATCH', 'k'], 'it changes the state of the Redis connection'],
    [['MULTI'], 'send the commands to /multi-exec'],
    [['CLIENT', 'KILL', 'ID', '1'], 'only CLIENT ID|INFO|LIST|GETNAME|HELP are allowed'],
  ])('refuses %j with 400', async (command, reason) => {
    const res = await call('/', command);
    expect(res.status).toBe(400);
    const name = String(command[0]).toUpperCase();
    expect((res.json as { error: string }).error).toContain(`ERR ${name} is not supported by the REST gateway: ${reason}`);
  });

  it('allows XREAD without BLOCK, even with a group or consumer named BLOCK', async () => {
    await call('/', ['XADD', key('stream'), '1-1', 'f', 'v']);
    expect((await call('/', ['XREAD', 'COUNT', '1', 'STREAMS', key('stream'), '0'])).json).toEqual({
      result: [[key('stream'), [['1-1', ['f', 'v']]]]],
    });
    expect((await call('/', ['XGROUP', 'CREATE', key('stream'), 'BLOCK', '0'])).json).toEqual({ result: 'OK' });
    const group = await call('/', ['XREADGROUP', 'GROUP', 'BLOCK', 'BLOCK', 'STREAMS', key('stream'), '>']);
    expect(group.json).toEqual({ result: [[key('stream'), [['1-1', ['f', 'v']]]]] });
  });

  it('allows read-only CLIENT subcommands', async () => {
    const res = await call('/', ['CLIENT', 'ID']);
    expect(res.status).toBe(200);
    expect(typeof (res.json as { result: unknown }).result).toBe('number');
  });

  it.each(['/pipeline', '/multi-exec'])('rejects a whole %s batch holding a refused command, running none of it', async (path) => {
    const res = await call(path, [['SET', key(`refused${path}`), 'x'], ['BLPOP', key('nothing'), '0']]);
    expect(res.status).toBe(400);
    expect((res.json as { error: string }).error).toMatch(/^command 2: ERR BLPOP is not supported/);
    expect((await call('/', ['EXISTS', key(`refused${path}`)])).json).toEqual({ result: 0 });
  });
});

describe('Redis errors', () => {
  it('passes error replies through with HTTP 400 for a single command', async () => {
    await call('/', ['SET', key('e'), 'text']);
    expect(await call('/', ['INCR', key('e')])).toMatchObject({
      status: 400,
      json: { error: 'ERR value is not an integer or out of range' },
    });
    expect(await call('/', ['LPUSH', key('e'), 'x'])).toMatchObject({
      status: 400,
      json: { error: 'WRONGTYPE Operation against a key holding the wrong kind of value' },
    });
    const unknown = await call('/', ['NOSUCHCOMMAND', 'x']);
    expect(unknown.status).toBe(400);
    expect((unknown.json as { error: string }).error).toMatch(/^ERR unknown command 'NOSUCHCOMMAND'/);
  });

  it('reports errors per command in a pipeline with HTTP 200', async () => {
    await call('/', ['SET', key('pe'), 'text']);
    const res = await call('/pipeline', [['INCR', key('pe')], ['GET', key('pe')], ['NOSUCHCOMMAND']]);
    expect(res.status).toBe(200);
    const [incr, get, unknown] = res.json as [unknown, unknown, { error: string }];
    expect(incr).toEqual({ error: 'ERR value is not an integer or out of range' });
    expect(get).toEqual({ result: 'text' });
    expect(unknown.error).toMatch(/^ERR unknown command 'NOSUCHCOMMAND'/);
  });
});

describe('body size limit', () => {
  // ["SET","<key>","xxx…"] padded to exactly `size` bytes.
  const setBody = (name: string, size: number): string => {
    const head = `["SET",${JSON.stringify(name)},"`;
    return `${head}${'x'.repeat(size - head.length - 2)}"]`;
  };

  it('accepts a body of exactly the limit', async () => {
    const body = setBody(key('at-limit'), DEFAULT_MAX_BODY_BYTES);
    expect(Buffer.byteLength(body)).toBe(DEFAULT_MAX_BODY_BYTES);
    expect((await call('/', undefined, { raw: body })).json).toEqual({ result: 'OK' });
    const valueLength = body.length - `["SET",${JSON.stringify(key('at-limit'))},"`.length - 2;
    expect((await call('/', ['STRLEN', key('at-limit')])).json).toEqual({ result: valueLength });
  });

  it('answers 413 to one byte more, declared or streamed, and keeps serving', async () => {
    const body = setBody(key('over-limit'), DEFAULT_MAX_BODY_BYTES + 1);
    const declared = await call('/', undefined, { raw: body });
    expect(declared).toMatchObject({ status: 413, json: { error: `request body exceeds ${DEFAULT_MAX_BODY_BYTES} bytes` } });

    const bytes = Buffer.from(body);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < bytes.length; at += 1 << 20) controller.enqueue(bytes.subarray(at, at + (1 << 20)));
        controller.close();
      },
    });
    const streamed = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(await streamed.json()).toEqual({ error: `request body exceeds ${DEFAULT_MAX_BODY_BYTES} bytes` });

    expect((await call('/', ['EXISTS', key('over-limit')])).json).toEqual({ result: 0 });
  });

  it('applies a configured limit to the path form too', async () => {
    const small = createGateway({ redisUrl: REDIS_URL, token: TOKEN, maxBodyBytes: 16 });
    const { url: smallUrl } = await small.listen(0, '127.0.0.1');
    try {
      const headers = { authorization: `Bearer ${TOKEN}` };
      const over = await fetch(`${smallUrl}/set/${encodeURIComponent(key('small'))}`, {
        method: 'POST',
        headers,
        body: 'x'.repeat(17),
      });
      expect(over.status).toBe(413);
      const fits = await fetch(`${smallUrl}/set/${encodeURIComponent(key('small'))}`, {
        method: 'POST',
        headers,
        body: 'x'.repeat(16),
      });
      expect(await fits.json()).toEqual({ result: 'OK' });
    } finally {
      await small.close();
    }
  });
});

describe('Redis unreachable', () => {
  let down: Gateway;
  let downUrl: string;

  beforeAll(async () => {
    // Port 1 on loopback: nothing listens, connections are refused at once.
    down = createGateway({ redisUrl: 'redis://127.0.0.1:1', token: TOKEN });
    ({ url: downUrl } = await down.listen(0, '127.0.0.1'));
  });

  afterAll(async () => {
    await down?.close();
  });

  it('answers 503 on every route and keeps running', async () => {
    const headers = { authorization: `Bearer ${TOKEN}` };
    for (let round = 0; round < 2; round++) {
      for (const [path, body] of [
        ['/', '["GET","k"]'],
        ['/pipeline', '[["GET","k"]]'],
        ['/multi-exec', '[["SET","k","v"]]'],
      ] as const) {
        const res = await fetch(`${downUrl}${path}`, { method: 'POST', headers, body });
        expect(res.status).toBe(503);
        expect(await res.json()).toEqual({ error: expect.stringMatching(/^Redis is unavailable: /) });
      }
      const health = await fetch(`${downUrl}/health`);
      expect(health.status).toBe(503);
      expect(await health.json()).toEqual({ status: 'unavailable', error: 'Redis did not answer PING' });
    }
  });

  it('makes the client fail fast with a clear error when retries are off', async () => {
    const client = new Redis({ url: downUrl, token: TOKEN, enableTelemetry: false, retry: false });
    const started = Date.now();
    await expect(client.get('k')).rejects.toThrow('Redis is unavailable: The client is offline');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('still checks the token first', async () => {
    const res = await fetch(downUrl, { method: 'POST', body: '["GET","k"]' });
    expect(res.status).toBe(401);
  });
});

describe('entrypoint (main.ts)', () => {
  const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

  const start = (env: Record<string, string>) =>
    spawn(process.execPath, [main], {
      env: { PATH: process.env.PATH ?? '', REDIS_URL, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  it('exits with a clear message when the token is missing', async () => {
    const child = start({});
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(1);
    expect(stderr).toContain('UPSTASH_REDIS_REST_TOKEN is required');
  });

  it('serves, logs one listening line and shuts down on SIGTERM', async () => {
    const child = start({ UPSTASH_REDIS_REST_TOKEN: TOKEN, GATEWAY_PORT: '0', GATEWAY_HOST: '127.0.0.1' });
    let stdout = '';
    const listening = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
        if (match?.[1]) resolve(match[1]);
      });
      child.once('exit', () => reject(new Error(`exited early: ${stdout}`)));
    });
    const base = await listening;
    const res = await fetch(base, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '["PING"]' });
    expect(await res.json()).toEqual({ result: 'PONG' });

    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(stdout.match(/listening on/g)).toHaveLength(1);
    expect(stdout).toContain('SIGTERM received, shutting down');
  });
});
