import { createRouter } from '../../lib/openapi.ts';

// Placeholder: routes are added by the feature that owns this folder.
export const meetingsRouter = createRouter();
