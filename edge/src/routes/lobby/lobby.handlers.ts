import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../env.ts';
import { enterByCode } from '../../services/lobby/link-entry.ts';
import { previewByCode } from '../../services/lobby/link-resolve.ts';
import { leaveLobby, waitForTicket } from '../../services/lobby/lobby-wait.ts';
import type { entryRoute, leaveRoute, previewRoute, waitRoute } from './lobby.routes.ts';

export const preview: RouteHandler<typeof previewRoute, AppEnv> = async (c) =>
  c.json(await previewByCode(c.var.deps, c.var.clientIp, c.req.valid('param').code, c.var.linkCaller), 200);

export const enter: RouteHandler<typeof entryRoute, AppEnv> = async (c) => {
  const result = await enterByCode(c.var.deps, c.var.clientIp, c.req.valid('param').code, c.var.linkCaller, c.req.valid('json'));
  return result.status === 'admitted' ? c.json(result, 200) : c.json(result, 202);
};

export const wait: RouteHandler<typeof waitRoute, AppEnv> = async (c) => {
  const { code, ticketId } = c.req.valid('param');
  const { waitSeconds } = c.req.valid('query');
  return c.json(await waitForTicket(c.var.deps, c.var.clientIp, code, ticketId, c.var.linkCaller, waitSeconds), 200);
};

export const leave: RouteHandler<typeof leaveRoute, AppEnv> = async (c) => {
  const { code, ticketId } = c.req.valid('param');
  await leaveLobby(c.var.deps, c.var.clientIp, code, ticketId, c.var.linkCaller);
  return c.body(null, 204);
};
