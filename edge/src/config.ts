import { z } from 'zod';
import { DEFAULT_MEDIA_NODE_REGISTRY_PREFIX, mediaNodeRegistryPrefixSchema, redisKeys } from '@huddle/protocol';
import type { EdgeBindings } from './env.ts';

const configSchema = z.object({
  UPSTASH_REDIS_REST_URL: z.url(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters'),
  LIVEKIT_API_KEY: z.string().min(1),
  LIVEKIT_API_SECRET: z.string().min(32, 'must be at least 32 characters'),
  CORS_ORIGINS: z.string().default(''),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3_600).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(3_600).max(90 * 86_400).default(30 * 86_400),
  REFRESH_REUSE_GRACE_SECONDS: z.coerce.number().int().min(0).max(60).default(10),
  JOIN_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(3_600).default(600),
  MEDIA_NODE_REGISTRY_PREFIX: mediaNodeRegistryPrefixSchema.default(DEFAULT_MEDIA_NODE_REGISTRY_PREFIX),
  AI_TASKS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(120),
  AI_TASKS_STREAM: z.string().regex(/^[A-Za-z0-9:_.{}-]+$/).default(redisKeys.aiTasks),
  GUEST_SESSION_TTL_SECONDS: z.coerce.number().int().min(600).max(7 * 86_400).default(86_400),
  LOBBY_WAIT_SECONDS: z.coerce.number().int().min(5).max(86_400).default(1_800),
  LOBBY_PRESENCE_SECONDS: z.coerce.number().int().min(4).max(600).default(60),
  LOBBY_BLOCK_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  LOBBY_WAITING_MAX: z.coerce.number().int().min(1).max(10_000).default(200),
  LOBBY_KNOCKS_ANNOUNCED_PER_MINUTE: z.coerce.number().int().min(0).max(1_000).default(10),
  LINK_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(30),
  LINK_MISSES_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(20),
  LINK_REQUESTS_PER_CODE_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(300),
  LINK_KNOCKS_PER_CODE_PER_MINUTE: z.coerce.number().int().min(1).max(10_000).default(60),
  LINK_KNOCKS_PER_IP_PER_HOUR: z.coerce.number().int().min(1).max(10_000).default(20),
});

/** Edge settings derived from the Worker's bindings (vars and secrets). */
export interface EdgeConfig {
  upstash: { url: string; token: string };
  jwtSecret: string;
  livekit: { apiKey: string; apiSecret: string };
  corsOrigins: string[];
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /**
   * Seconds during which a refresh token just rotated away may be presented again and
   * gets the same new pair (concurrent refreshes from two tabs); 0 turns it off.
   */
  refreshReuseGraceSeconds: number;
  joinTokenTtlSeconds: number;
  /** Key prefix of the media node registry (`media:nodes:`); media nodes must use the same. */
  mediaNodeRegistryPrefix: string;
  /** AI tasks one user may queue per minute (429 beyond). */
  aiTasksPerMinute: number;
  /** Stream AI tasks are added to (`ai:tasks`); the AI worker pool must read the same. */
  aiTasksStream: string;
  /** Link entry and the lobby (services/lobby/). */
  lobby: LobbyConfig;
}

/** Link entry, the lobby and guests. Times in seconds. */
export interface LobbyConfig {
  /**
   * Lifetime of a guest's session and guest token (renews join grants for its one
   * meeting). Default a day, the longest a meeting is scheduled for: media nodes close
   * a guest's socket when its session ends.
   */
  guestSessionTtlSeconds: number;
  /** Longest an entrant may wait to be let in; afterwards the ticket is refused (`ticket_expired`). */
  waitSeconds: number;
  /** A waiting entrant who stops polling leaves the lobby after this. */
  presenceSeconds: number;
  /** After a denial or removal, the entrant (user, and a guest's address) may not knock for this long. */
  blockSeconds: number;
  /** Entrants one meeting's lobby holds at once (429 `lobby_full` beyond). */
  waitingMax: number;
  /** Knocks per meeting per minute announced one by one; beyond, hosts get only `lobby.count`. */
  knocksAnnouncedPerMinute: number;
  /** Rate limits of /meetings/by-code/* (see services/lobby/link-limits.ts). */
  limits: {
    /** Requests per client address per minute (previews, entries, polls excluded). */
    requestsPerMinute: number;
    /** Lookups of codes that no meeting answers to (404), per client address per hour. */
    missesPerHour: number;
    /** Previews and entries per code per minute, from all addresses together. */
    requestsPerCodePerMinute: number;
    /** Knocks per code per minute, from all addresses together. */
    knocksPerCodePerMinute: number;
    /** Knocks per client address per hour, over all codes. */
    knocksPerIpPerHour: number;
  };
}

/** Thrown when a binding is missing or malformed; names the variables, never their values. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

// The env object of an isolate does not change between requests: parse it once.
const cache = new WeakMap<object, EdgeConfig>();

/** Parses (once per env object) and returns the edge configuration. */
export function loadConfig(env: EdgeBindings): EdgeConfig {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const names = parsed.error.issues.map((i) => `${i.path.join('.')} (${i.message})`);
    throw new ConfigError(`edge misconfigured: ${names.join(', ')}`);
  }
  const e = parsed.data;
  const config: EdgeConfig = {
    upstash: { url: e.UPSTASH_REDIS_REST_URL, token: e.UPSTASH_REDIS_REST_TOKEN },
    jwtSecret: e.JWT_SECRET,
    livekit: { apiKey: e.LIVEKIT_API_KEY, apiSecret: e.LIVEKIT_API_SECRET },
    corsOrigins: e.CORS_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean),
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL_SECONDS,
    refreshReuseGraceSeconds: e.REFRESH_REUSE_GRACE_SECONDS,
    joinTokenTtlSeconds: e.JOIN_TOKEN_TTL_SECONDS,
    mediaNodeRegistryPrefix: e.MEDIA_NODE_REGISTRY_PREFIX,
    aiTasksPerMinute: e.AI_TASKS_PER_MINUTE,
    aiTasksStream: e.AI_TASKS_STREAM,
    lobby: {
      guestSessionTtlSeconds: e.GUEST_SESSION_TTL_SECONDS,
      waitSeconds: e.LOBBY_WAIT_SECONDS,
      presenceSeconds: e.LOBBY_PRESENCE_SECONDS,
      blockSeconds: e.LOBBY_BLOCK_SECONDS,
      waitingMax: e.LOBBY_WAITING_MAX,
      knocksAnnouncedPerMinute: e.LOBBY_KNOCKS_ANNOUNCED_PER_MINUTE,
      limits: {
        requestsPerMinute: e.LINK_REQUESTS_PER_MINUTE,
        missesPerHour: e.LINK_MISSES_PER_HOUR,
        requestsPerCodePerMinute: e.LINK_REQUESTS_PER_CODE_PER_MINUTE,
        knocksPerCodePerMinute: e.LINK_KNOCKS_PER_CODE_PER_MINUTE,
        knocksPerIpPerHour: e.LINK_KNOCKS_PER_IP_PER_HOUR,
      },
    },
  };
  cache.set(env, config);
  return config;
}
