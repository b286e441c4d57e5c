import { z } from 'zod';

/** State of one dependency as reported by /ready. */
export const dependencyStateSchema = z.object({
  status: z.enum(['up', 'down']),
  latencyMs: z.number().nonnegative().optional(),
  error: z.string().optional(),
});

/** Body of GET /health and GET /ready on the edge and the media node. */
export const healthReportSchema = z.object({
  status: z.enum(['ok', 'degraded']),
  service: z.enum(['edge', 'media-node']),
  dependencies: z.record(z.string(), dependencyStateSchema).optional(),
});

export type DependencyState = z.infer<typeof dependencyStateSchema>;
export type HealthReport = z.infer<typeof healthReportSchema>;

/**
 * Runs each named probe with a timeout and reports every dependency's state;
 * the report is `ok` only when all of them answered.
 */
export async function probeDependencies(
  service: HealthReport['service'],
  probes: Record<string, () => Promise<unknown>>,
  timeoutMs = 2_000,
): Promise<HealthReport> {
  const entries = await Promise.all(
    Object.entries(probes).map(async ([name, probe]): Promise<[string, DependencyState]> => {
      const started = performance.now();
      try {
        await withTimeout(probe(), timeoutMs);
        return [name, { status: 'up', latencyMs: Math.round(performance.now() - started) }];
      } catch (error) {
        return [name, { status: 'down', error: describe(error) }];
      }
    }),
  );
  const dependencies = Object.fromEntries(entries);
  const allUp = entries.every(([, state]) => state.status === 'up');
  return { status: allUp ? 'ok' : 'degraded', service, dependencies };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// A short message only: readiness output is public, so no stacks or hostnames.
function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? code : error.name;
  }
  return 'unknown error';
}
