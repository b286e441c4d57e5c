import type { z } from 'zod';

/**
 * Parses environment variables with `schema` (zod) and returns the parsed values.
 * @param what the part being configured, for the message (e.g. `mediasoup`).
 * @throws Error `invalid {what} configuration: VAR: problem; …` naming every bad variable at once.
 */
export function parseEnv<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv, what: string): z.output<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid ${what} configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}
