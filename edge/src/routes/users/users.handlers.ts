import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../env.ts';
import { lookupUser } from '../../services/user-lookup.ts';
import { getActiveUser } from '../../services/users.ts';
import type { lookupRoute, meRoute } from './users.routes.ts';

export const me: RouteHandler<typeof meRoute, AppEnv> = async (c) =>
  c.json(await getActiveUser(c.var.deps.db().db, c.var.auth.userId), 200);

export const lookup: RouteHandler<typeof lookupRoute, AppEnv> = async (c) =>
  c.json(await lookupUser(c.var.deps, c.var.auth.userId, c.req.valid('query').login), 200);
