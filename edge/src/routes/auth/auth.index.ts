import { createRouter } from '../../lib/openapi.ts';
import * as handlers from './auth.handlers.ts';
import * as routes from './auth.routes.ts';

export const authRouter = createRouter()
  .openapi(routes.registerRoute, handlers.register)
  .openapi(routes.loginRoute, handlers.login)
  .openapi(routes.refreshRoute, handlers.refresh)
  .openapi(routes.logoutRoute, handlers.logout);
