import type { RedisArgument } from '@redis/client';
import { HttpError } from './http-error.ts';

/** One Redis command as sent on the wire: name first, then arguments. */
export type Command = RedisArgument[];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a request body as JSON; 400 on invalid UTF-8 or malformed JSON. */
export function parseJsonBody(body: Buffer): unknown {
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    throw new HttpError(400, 'ERR request body is not valid UTF-8');
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `ERR malformed JSON body: ${(error as Error).message}`);
  }
}

/**
 * Validates one command: a non-empty array whose first element is a string and whose
 * other elements are strings, finite numbers or booleans (@upstash/redis sends numbers
 * and booleans unquoted). `where` names the command in error messages.
 */
export function toCommand(value: unknown, where = 'command'): Command {
  if (!Array.isArray(value)) {
    throw new HttpError(400, `ERR ${where} must be a JSON array like ["SET","key","value"]`);
  }
  if (value.length === 0) throw new HttpError(400, `ERR ${where} is empty`);
  if (typeof value[0] !== 'string' || value[0].length === 0) {
    throw new HttpError(400, `ERR ${where} must start with the command name as a string`);
  }
  return value.map((arg: unknown, i) => {
    if (typeof arg === 'string') return arg;
    if ((typeof arg === 'number' && Number.isFinite(arg)) || typeof arg === 'boolean') return String(arg);
    throw new HttpError(
      400,
      `ERR ${where}: argument ${i} must be a string, a finite number or a boolean, got ${arg === null ? 'null' : typeof arg}`,
    );
  });
}

/** Validates a `/pipeline` or `/multi-exec` body: a non-empty array of commands. */
export function toCommandBatch(value: unknown): Command[] {
  if (!Array.isArray(value)) {
    throw new HttpError(400, 'ERR body must be a JSON array of commands like [["SET","k","v"],["GET","k"]]');
  }
  if (value.length === 0) throw new HttpError(400, 'ERR no commands to run');
  return value.map((item: unknown, i) => toCommand(item, `command ${i + 1}`));
}

/**
 * Upstash's path form: `/set/key/value` is `["set","key","value"]` (segments are
 * URL-decoded); a non-empty POST body is appended, as raw bytes, as the last argument.
 */
export function commandFromPath(pathname: string, body: Buffer | undefined): Command {
  let segments: string[];
  try {
    segments = pathname
      .split('/')
      .slice(1)
      .map((segment) => decodeURIComponent(segment));
  } catch {
    throw new HttpError(400, 'ERR malformed percent-encoding in the URL path');
  }
  const command = toCommand(segments);
  if (body !== undefined && body.length > 0) command.push(body);
  return command;
}
