import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../env.ts';
import * as auth from '../../services/auth.ts';
import type { loginRoute, logoutRoute, refreshRoute, registerRoute } from './auth.routes.ts';

export const register: RouteHandler<typeof registerRoute, AppEnv> = async (c) => {
  const body = c.req.valid('json');
  return c.json(await auth.register(c.var.deps, { ...body, clientIp: c.var.clientIp }), 201);
};

export const login: RouteHandler<typeof loginRoute, AppEnv> = async (c) => {
  const body = c.req.valid('json');
  return c.json(await auth.login(c.var.deps, { ...body, clientIp: c.var.clientIp }), 200);
};

export const refresh: RouteHandler<typeof refreshRoute, AppEnv> = async (c) =>
  c.json(await auth.refresh(c.var.deps, c.req.valid('json').refreshToken), 200);

export const logout: RouteHandler<typeof logoutRoute, AppEnv> = async (c) => {
  await auth.logout(c.var.deps, c.var.auth);
  return c.body(null, 204);
};
