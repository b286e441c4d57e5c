import type { z } from 'zod';

/**
 * Parses `input` with `schema`; a string is JSON-decoded first. Undefined when the
 * text is not JSON or the value does not match — for messages from Redis, where a
 * foreign or malformed entry must be skipped, not thrown.
 */
export function parseJsonWith<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> | undefined {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      return undefined;
    }
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}
