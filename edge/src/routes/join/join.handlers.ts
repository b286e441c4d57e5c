import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../env.ts';
import { joinMeeting } from '../../services/join.ts';
import { notFound } from '../../lib/api-error.ts';
import type { joinRoute } from './join.routes.ts';

export const join: RouteHandler<typeof joinRoute, AppEnv> = async (c) => {
  const { id } = c.req.valid('param');
  const { auth } = c.var;
  // A guest token reaches its own meeting only: any other id is as unknown as any meeting one is not in.
  if (auth.guestMeetingId !== undefined && auth.guestMeetingId !== id) throw notFound('No such meeting.');
  return c.json(await joinMeeting(c.var.deps, id, auth.userId), 200);
};
