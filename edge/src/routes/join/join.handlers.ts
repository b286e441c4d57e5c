import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../env.ts';
import { joinMeeting } from '../../services/join.ts';
import type { joinRoute } from './join.routes.ts';

export const join: RouteHandler<typeof joinRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid('param');
  return c.json(await joinMeeting(c.var.deps, id, c.var.auth), 200);
};
