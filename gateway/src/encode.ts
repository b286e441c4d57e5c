// Node 24 has JSON.rawJSON (it lets JSON.stringify emit exact big integers); the
// ES2024 lib typings don't declare it yet.
const rawJSON = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

const isOk = (value: Buffer): boolean => value.length === 2 && value[0] === 0x4f && value[1] === 0x4b;

/**
 * Turns a raw RESP2 reply into the JSON value Upstash returns.
 *
 * Replies come from the executor's type mapping: strings (simple and bulk) as Buffers,
 * integers as decimal strings, nil as null, arrays as arrays. With `base64`, every string
 * is the base64 of its raw bytes except a plain `OK`, which stays `OK` (that is what
 * @upstash/redis decodes); without it, strings are decoded as UTF-8. Integers are JSON
 * numbers, written digit for digit even beyond 2^53.
 */
export function encodeReply(reply: unknown, base64: boolean): unknown {
  if (reply === null || reply === undefined) return null;
  if (Buffer.isBuffer(reply)) {
    if (!base64) return reply.toString('utf8');
    return isOk(reply) ? 'OK' : reply.toString('base64');
  }
  if (typeof reply === 'string') return encodeInteger(reply);
  if (typeof reply === 'number') return reply;
  if (Array.isArray(reply)) return reply.map((item: unknown) => encodeReply(item, base64));
  // An error nested in an array (e.g. a Lua table holding redis.error_reply) becomes its text.
  if (reply instanceof Error) return encodeReply(Buffer.from(reply.message, 'utf8'), base64);
  throw new TypeError(`unexpected Redis reply of type ${typeof reply}`);
}

function encodeInteger(text: string): unknown {
  if (!/^-?\d+$/.test(text)) return text;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : rawJSON(text);
}
