import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../env.ts';
import { getMeetingSummary } from '../../services/meeting-summary.ts';
import type { summaryRoute } from './summary.routes.ts';

export const summary: RouteHandler<typeof summaryRoute, AppEnv> = async (c) =>
  c.json(await getMeetingSummary(c.var.deps.db().db, c.req.valid('param').id, c.var.auth.userId), 200);
