import { createRouter } from '../../lib/openapi.ts';
import * as handlers from './users.handlers.ts';
import * as routes from './users.routes.ts';

export const usersRouter = createRouter()
  .openapi(routes.meRoute, handlers.me)
  .openapi(routes.lookupRoute, handlers.lookup);
