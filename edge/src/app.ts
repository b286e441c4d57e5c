import { Hono } from 'hono';
import type { EdgeBindings } from './env.ts';
import { healthRoutes } from './routes/health/health.routes.ts';

/** The edge API; the same app runs on Workers (index.ts) and under Node (node.ts). */
export function createApp(): Hono<{ Bindings: EdgeBindings }> {
  return new Hono<{ Bindings: EdgeBindings }>().route('/', healthRoutes);
}
