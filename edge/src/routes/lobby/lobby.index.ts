import { createRouter } from '../../lib/openapi.ts';
import * as handlers from './lobby.handlers.ts';
import * as routes from './lobby.routes.ts';

/** Link entry and the lobby, mounted under /api/v1/meetings: /by-code/{code}[/entry[/{ticketId}]]. */
export const lobbyRouter = createRouter()
  .openapi(routes.previewRoute, handlers.preview)
  .openapi(routes.entryRoute, handlers.enter)
  .openapi(routes.waitRoute, handlers.wait)
  .openapi(routes.leaveRoute, handlers.leave);
