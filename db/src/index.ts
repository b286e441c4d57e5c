// Public entry of @huddle/db, safe for Workers and Node. The Node-only migrator lives in
// ./migrate.ts (import '@huddle/db/migrate') and is deliberately not re-exported here.
export * from './schema.ts';
export * from './client.ts';
export * from './errors.ts';
export * from './meeting-stats.ts';
export * from './membership.ts';
