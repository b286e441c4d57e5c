import { hostname } from 'node:os';
import { z } from 'zod';
import { loadAiWorkerConfig, type AiWorkerEnvConfig } from './ai/config.ts';
import { loadCaptionsConfig, type CaptionsConfig } from './captions/config.ts';
import { sfuEngineChoiceValues, type SfuEngineChoice } from './sfu/index.ts';
import {
  DEFAULT_MEDIA_NODE_REGISTRY_PREFIX,
  MEDIA_NODE_HEARTBEAT_INTERVAL_SECONDS,
  MEDIA_NODE_HEARTBEAT_TTL_SECONDS,
  mediaNodeIdSchema,
  mediaNodeRegistryPrefixSchema,
} from '@huddle/protocol';
import { parseEnv } from './env-config.ts';

const envSchema = z.object({
  MEDIA_NODE_HOST: z.string().default('127.0.0.1'),
  MEDIA_NODE_PORT: z.coerce.number().int().min(0).max(65_535).default(4000),
  MEDIA_NODE_PUBLIC_URL: z.url({ protocol: /^wss?$/ }).optional(),
  /** Registry id; defaults to `{hostname}-{port}` made key-safe. */
  MEDIA_NODE_ID: mediaNodeIdSchema.optional(),
  MEDIA_NODE_CAPACITY: z.coerce.number().int().min(1).default(5_000),
  MEDIA_NODE_REGISTRY_PREFIX: mediaNodeRegistryPrefixSchema.default(DEFAULT_MEDIA_NODE_REGISTRY_PREFIX),
  DATABASE_URL: z.url().default('postgres://huddle:huddle@127.0.0.1:5432/huddle'),
  REDIS_URL: z.url().default('redis://127.0.0.1:6379'),
  MONGODB_URL: z.url().default('mongodb://127.0.0.1:27017/huddle'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  LIVEKIT_API_KEY: z.string().min(1),
  LIVEKIT_API_SECRET: z.string().min(32, 'must be at least 32 characters'),
  JWT_SECRET: z.string().min(32, 'must be at least 32 characters'),
  WS_PING_INTERVAL_MS: z.coerce.number().int().min(100).default(10_000),
  /** Every socket is re-checked (session, membership, meeting status) this often, in ms. */
  ACCESS_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  CHAT_RATE_PER_SECOND: z.coerce.number().positive().default(5),
  CHAT_RATE_BURST: z.coerce.number().int().min(1).default(10),
  /** After host.remove, the removed user (and a guest's address) may not knock on the lobby for this long. */
  LOBBY_BLOCK_SECONDS: z.coerce.number().int().min(1).max(86_400).default(600),
  /** How often a room with hosts or cohosts present looks for entrants who stopped waiting. */
  LOBBY_SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(5_000),
  /** Overrides for tests; production uses the protocol constants the edge assumes. */
  MEDIA_NODE_REGISTRY_INTERVAL_SECONDS: z.coerce.number().positive().default(MEDIA_NODE_HEARTBEAT_INTERVAL_SECONDS),
  MEDIA_NODE_REGISTRY_TTL_SECONDS: z.coerce.number().int().min(1).default(MEDIA_NODE_HEARTBEAT_TTL_SECONDS),
  /** Run the AI worker pool in this process (default true); `false` for signaling-only nodes. */
  AI_WORKERS_ENABLED: z.enum(['true', 'false']).default('true'),
  /** SFU engine: mediasoup, livekit, auto (mediasoup when a worker starts, else LiveKit when LIVEKIT_URL is set) or none. */
  SFU_ENGINE: z.enum(sfuEngineChoiceValues).default('auto'),
});

/** Media-node settings, parsed once from the environment at start-up. */
export interface MediaNodeConfig {
  host: string;
  port: number;
  /** ws(s) URL clients connect to; written to the registry. */
  publicUrl: string;
  nodeId: string;
  /** Connections the node accepts before the edge stops placing new meetings on it. */
  capacity: number;
  registryPrefix: string;
  /** Seconds between two registry heartbeats. */
  registryHeartbeatIntervalSeconds: number;
  /** TTL of the registry entry, in seconds. */
  registryTtlSeconds: number;
  databaseUrl: string;
  redisUrl: string;
  mongodbUrl: string;
  logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  shutdownTimeoutMs: number;
  livekit: { apiKey: string; apiSecret: string };
  /** HS256 secret of the edge's access tokens (HTTP history reads). */
  jwtSecret: string;
  /** WebSocket ping interval; a peer that missed a pong by the next ping is dropped. */
  wsPingIntervalMs: number;
  /**
   * Interval of the sweep that re-checks every open socket against Postgres and Redis,
   * in ms: it bounds how long a revocation lost by pub/sub can go unnoticed.
   */
  accessSweepIntervalMs: number;
  /** Chat token bucket per user: refill per second and bucket size. */
  chatRatePerSecond: number;
  chatRateBurst: number;
  /** The lobby on this node (src/lobby/). */
  lobby: {
    /** After host.remove, the user (and a guest's address) may not knock for this long, in seconds (edge: LOBBY_BLOCK_SECONDS). */
    blockSeconds: number;
    /** Interval of the sweep for entrants who stopped waiting, in ms. */
    sweepIntervalMs: number;
  };
  /** Delay between the last local peer leaving and the room closing, in ms. */
  roomIdleCloseMs: number;
  /** The AI worker pool's settings (AI_*, TRANSCRIBE_*), or undefined when disabled. */
  ai: AiWorkerEnvConfig | undefined;
  /** Live captions, talk time and summaries (CAPTIONS_*). */
  captions: CaptionsConfig;
  /** Which SFU engine to start; each engine reads its own settings from `env`. */
  sfuEngine: SfuEngineChoice;
  /** The environment the engines read their settings from (MEDIASOUP_*, LIVEKIT_*). */
  env: NodeJS.ProcessEnv;
}

/** Parses the environment; throws a readable error naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): MediaNodeConfig {
  const e = parseEnv(envSchema, env, 'media-node');
  return {
    host: e.MEDIA_NODE_HOST,
    port: e.MEDIA_NODE_PORT,
    publicUrl: e.MEDIA_NODE_PUBLIC_URL ?? `ws://${e.MEDIA_NODE_HOST}:${e.MEDIA_NODE_PORT}`,
    nodeId: e.MEDIA_NODE_ID ?? defaultNodeId(e.MEDIA_NODE_PORT),
    capacity: e.MEDIA_NODE_CAPACITY,
    registryPrefix: e.MEDIA_NODE_REGISTRY_PREFIX,
    registryHeartbeatIntervalSeconds: e.MEDIA_NODE_REGISTRY_INTERVAL_SECONDS,
    registryTtlSeconds: e.MEDIA_NODE_REGISTRY_TTL_SECONDS,
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    mongodbUrl: e.MONGODB_URL,
    logLevel: e.LOG_LEVEL,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    livekit: { apiKey: e.LIVEKIT_API_KEY, apiSecret: e.LIVEKIT_API_SECRET },
    jwtSecret: e.JWT_SECRET,
    wsPingIntervalMs: e.WS_PING_INTERVAL_MS,
    accessSweepIntervalMs: e.ACCESS_SWEEP_INTERVAL_MS,
    chatRatePerSecond: e.CHAT_RATE_PER_SECOND,
    chatRateBurst: e.CHAT_RATE_BURST,
    lobby: { blockSeconds: e.LOBBY_BLOCK_SECONDS, sweepIntervalMs: e.LOBBY_SWEEP_INTERVAL_MS },
    roomIdleCloseMs: 2_000,
    ai: e.AI_WORKERS_ENABLED === 'true' ? loadAiWorkerConfig(env) : undefined,
    captions: loadCaptionsConfig(env),
    sfuEngine: e.SFU_ENGINE,
    env,
  };
}

function defaultNodeId(port: number): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, 50) || 'node';
  return `${host}-${port}`;
}
