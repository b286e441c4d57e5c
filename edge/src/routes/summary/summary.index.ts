import { createRouter } from '../../lib/openapi.ts';
import * as handlers from './summary.handlers.ts';
import * as routes from './summary.routes.ts';

/** `GET /meetings/{id}/summary`, mounted under /api/v1/meetings. */
export const summaryRouter = createRouter().openapi(routes.summaryRoute, handlers.summary);
