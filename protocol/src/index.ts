export * from './redis-keys.ts';
export * from './health.ts';
export * from './auth.ts';
export * from './meeting-events.ts';
export * from './media-nodes.ts';
export * from './ai-tasks.ts';
export * from './signaling.ts';
export * from './ai-results.ts';
