import type { Redis } from '@upstash/redis/cloudflare';
import type { DbClient } from '@huddle/db';
import type { EdgeConfig } from './config.ts';
import type { CachedMeetingPrefetch } from './services/meeting-cache.ts';

/** Bindings and variables the edge Worker receives (wrangler.toml, secrets). */
export interface EdgeBindings {
  /** Hyperdrive binding in production; locally wrangler points it at a plain URL. */
  HYPERDRIVE?: { connectionString: string };
  /** Plain connection string, used when there is no Hyperdrive (Node adapter). */
  DATABASE_URL?: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  JWT_SECRET?: string;
  LIVEKIT_API_KEY?: string;
  LIVEKIT_API_SECRET?: string;
  CORS_ORIGINS?: string;
  LOG_LEVEL?: string;
  ACCESS_TOKEN_TTL_SECONDS?: string;
  REFRESH_TOKEN_TTL_SECONDS?: string;
  /** Grace for a refresh token presented again right after its rotation (default 10, 0 = off). */
  REFRESH_REUSE_GRACE_SECONDS?: string;
  JOIN_TOKEN_TTL_SECONDS?: string;
  /** Media node registry key prefix (default `media:nodes:`). */
  MEDIA_NODE_REGISTRY_PREFIX?: string;
  /** AI tasks one user may queue per minute (default 120). */
  AI_TASKS_PER_MINUTE?: string;
  /** AI task stream (default `ai:tasks`). */
  AI_TASKS_STREAM?: string;
  /** Link entry, lobby and guests (config.ts LobbyConfig; README "Join by link"). */
  GUEST_SESSION_TTL_SECONDS?: string;
  LOBBY_WAIT_SECONDS?: string;
  LOBBY_PRESENCE_SECONDS?: string;
  LOBBY_BLOCK_SECONDS?: string;
  LOBBY_WAITING_MAX?: string;
  LOBBY_KNOCKS_ANNOUNCED_PER_MINUTE?: string;
  LINK_REQUESTS_PER_MINUTE?: string;
  LINK_MISSES_PER_HOUR?: string;
  LINK_REQUESTS_PER_CODE_PER_MINUTE?: string;
  LINK_KNOCKS_PER_CODE_PER_MINUTE?: string;
  LINK_KNOCKS_PER_IP_PER_HOUR?: string;
}

/** Per-request resources, built by the resources middleware (never module-level on Workers). */
export interface RequestDeps {
  config: EdgeConfig;
  /** Opens this request's Postgres connection on first use. */
  db(): DbClient;
  redis: Redis;
}

/** The authenticated caller, set by the auth middleware. */
export interface AuthContext {
  userId: string;
  sessionId: string;
  /** Set for a guest (guest token): the one meeting the guest may reach. */
  guestMeetingId?: string;
}

/** Who calls a link route: a signed-in user, a guest of one meeting, or nobody (anonymous). */
export type LinkCaller =
  | { kind: 'user'; userId: string; sessionId: string }
  | { kind: 'guest'; userId: string; sessionId: string; meetingId: string; name: string };

/** Hono environment of every edge route. */
export interface AppEnv {
  Bindings: EdgeBindings;
  Variables: {
    requestId: string;
    /** The caller's address for rate limits (see services/rate-limit.ts clientIp). */
    clientIp: string;
    deps: RequestDeps;
    auth: AuthContext;
    /** The caller of a link route (middleware/link-caller.ts); undefined when anonymous. */
    linkCaller?: LinkCaller;
    /** The cached meeting read started alongside the session check (GET meeting). */
    meetingPrefetch?: CachedMeetingPrefetch;
  };
}
