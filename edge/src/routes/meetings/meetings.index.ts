import { createRouter } from '../../lib/openapi.ts';
import * as handlers from './meetings.handlers.ts';
import * as routes from './meetings.routes.ts';

/** /api/v1/meetings: create, list, read (cached), update, invite, start, end. */
export const meetingsRouter = createRouter()
  .openapi(routes.createMeetingRoute, handlers.create)
  .openapi(routes.listMeetingsRoute, handlers.list)
  .openapi(routes.getMeetingRoute, handlers.get)
  .openapi(routes.updateMeetingRoute, handlers.update)
  .openapi(routes.inviteRoute, handlers.invite)
  .openapi(routes.startMeetingRoute, handlers.start)
  .openapi(routes.endMeetingRoute, handlers.end);
