import { Hono } from 'hono';
import { probeDependencies } from '@huddle/protocol';

/** A dependency check for /ready: resolves when the dependency answers. */
export type Probe = () => Promise<unknown>;

/**
 * GET /health answers while the process serves requests (liveness);
 * GET /ready reports each dependency and is 503 unless all answer (readiness).
 */
export function healthRoutes(probes: Record<string, Probe>): Hono {
  return new Hono()
    .get('/health', (c) => c.json({ status: 'ok', service: 'media-node' }))
    .get('/ready', async (c) => {
      const report = await probeDependencies('media-node', probes);
      return c.json(report, report.status === 'ok' ? 200 : 503);
    });
}
