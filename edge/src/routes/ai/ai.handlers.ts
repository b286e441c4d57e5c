import type { RouteHandler } from '@hono/zod-openapi';
import type { AppEnv } from '../../env.ts';
import { enqueueAiTask } from '../../services/ai-tasks.ts';
import type { createTaskRoute } from './ai.routes.ts';

export const createTask: RouteHandler<typeof createTaskRoute, AppEnv> = async (c) =>
  c.json(await enqueueAiTask(c.var.deps, c.var.auth.userId, c.req.valid('json')), 202);
