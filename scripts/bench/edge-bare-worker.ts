// Bench-only Worker for scripts/bench/edge.ts (never deployed, not part of the app): a bare
// Hono route that answers GET /api/v1/meetings/:id with the same JSON body the edge
// returns for a cached meeting — no middleware, no auth, no Redis. Its throughput is the
// ceiling the real route is compared against on the same runtime, in the same run.
import { Hono } from 'hono';

interface Bindings {
  /** The edge's JSON response for the benchmarked meeting, captured by the bench script. */
  BENCH_BODY: string;
}

let body: object | undefined;
const app = new Hono<{ Bindings: Bindings }>();
app.get('/api/v1/meetings/:id', (c) => {
  body ??= JSON.parse(c.env.BENCH_BODY) as object;
  return c.json(body);
});

export default app;
