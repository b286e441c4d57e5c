import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../env.ts';
import { createMeeting, getMeeting, listMeetings } from '../../services/meetings.ts';
import { inviteToMeeting, updateMeeting } from '../../services/meeting-updates.ts';
import { endMeeting, startMeeting } from '../../services/meeting-lifecycle.ts';
import type {
  createMeetingRoute,
  endMeetingRoute,
  getMeetingRoute,
  inviteRoute,
  listMeetingsRoute,
  startMeetingRoute,
  updateMeetingRoute,
} from './meetings.routes.ts';

export const create: RouteHandler<typeof createMeetingRoute, AppEnv> = async (c) =>
  c.json(await createMeeting(c.var.deps, c.var.auth.userId, c.req.valid('json')), 201);

export const list: RouteHandler<typeof listMeetingsRoute, AppEnv> = async (c) =>
  c.json(await listMeetings(c.var.deps, c.var.auth.userId, c.req.valid('query')), 200);

export const get: RouteHandler<typeof getMeetingRoute, AppEnv> = async (c) =>
  c.json(await getMeeting(c.var.deps, c.var.auth.userId, c.req.valid('param').id, c.var.meetingPrefetch), 200);

export const update: RouteHandler<typeof updateMeetingRoute, AppEnv> = async (c) =>
  c.json(await updateMeeting(c.var.deps, c.var.auth.userId, c.req.valid('param').id, c.req.valid('json')), 200);

export const invite: RouteHandler<typeof inviteRoute, AppEnv> = async (c) =>
  c.json(await inviteToMeeting(c.var.deps, c.var.auth.userId, c.req.valid('param').id, c.req.valid('json').userIds), 200);

export const start: RouteHandler<typeof startMeetingRoute, AppEnv> = async (c) =>
  c.json(await startMeeting(c.var.deps, c.var.auth.userId, c.req.valid('param').id), 200);

export const end: RouteHandler<typeof endMeetingRoute, AppEnv> = async (c) =>
  c.json(await endMeeting(c.var.deps, c.var.auth.userId, c.req.valid('param').id), 200);
