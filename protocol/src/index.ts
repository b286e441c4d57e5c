export * from './redis-keys.ts';
export * from './health.ts';
