import { createRouter } from '../../lib/openapi.ts';
import * as handlers from './ai.handlers.ts';
import * as routes from './ai.routes.ts';

/** `POST /ai/tasks`, mounted under /api/v1/ai. */
export const aiRouter = createRouter().openapi(routes.createTaskRoute, handlers.createTask);
