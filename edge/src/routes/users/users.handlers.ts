import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../env.ts';
import { getActiveUser } from '../../services/users.ts';
import type { meRoute } from './users.routes.ts';

export const me: RouteHandler<typeof meRoute, AppEnv> = async (c) =>
  c.json(await getActiveUser(c.var.deps.db().db, c.var.auth.userId), 200);
