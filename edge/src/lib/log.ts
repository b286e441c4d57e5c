import type { Context } from 'hono';

type Level = 'debug' | 'info' | 'warn' | 'error';
const order: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * One structured JSON log line carrying the request id. Workers capture
 * console output (Workers Logs / wrangler tail); Node prints it to stdout.
 */
export function logEvent(c: Context, level: Level, msg: string, fields: Record<string, unknown> = {}): void {
  const threshold = (c.env as { LOG_LEVEL?: string } | undefined)?.LOG_LEVEL as Level | undefined;
  if (order[level] < order[threshold && threshold in order ? threshold : 'info']) return;
  const line = JSON.stringify({ level, msg, requestId: c.get('requestId'), service: 'edge', ...fields });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}
