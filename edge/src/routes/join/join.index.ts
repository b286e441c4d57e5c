import { createRouter } from '../../lib/openapi.ts';
import * as handlers from './join.handlers.ts';
import * as routes from './join.routes.ts';

/** `POST /meetings/{id}/join`, mounted under /api/v1/meetings. */
export const joinRouter = createRouter().openapi(routes.joinRoute, handlers.join);
