export * from './redis-keys.ts';
export * from './health.ts';
export * from './auth.ts';
