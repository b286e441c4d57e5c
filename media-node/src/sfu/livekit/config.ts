import { z } from 'zod';
import { parseEnv } from '../../env-config.ts';

const url = z.url({ protocol: /^(wss?|https?)$/ });
const flag = z.enum(['true', 'false']);

const envSchema = z.object({
  /** The LiveKit server the node manages rooms on (server API); ws(s) is read as http(s). */
  LIVEKIT_URL: url,
  /** What clients connect livekit-client to; default LIVEKIT_URL. */
  LIVEKIT_PUBLIC_URL: url.optional(),
  LIVEKIT_API_KEY: z.string().min(1),
  LIVEKIT_API_SECRET: z.string().min(32, 'must be at least 32 characters'),
  /** Seconds a LiveKit room stays open with nobody in it (createRoom emptyTimeout). */
  LIVEKIT_EMPTY_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Participants a LiveKit room admits (0 = no limit), hidden observer included. */
  LIVEKIT_MAX_PARTICIPANTS: z.coerce.number().int().min(0).max(100_000).default(0),
  /** Time between two health calls to the server, in ms. */
  LIVEKIT_HEALTH_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  /** Timeout of every server API call (health, rooms, host actions), in ms. */
  LIVEKIT_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
  /** Run the hidden observer participant (active speaker, captions audio tap); default true. */
  LIVEKIT_OBSERVER: flag.default('true'),
  /** Run the observer with `ip netns exec <name>` (tests keep its WebRTC inside a namespace). */
  LIVEKIT_OBSERVER_NETNS: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional(),
});

/** Settings of the livekit engine, parsed from the environment once at start-up. */
export interface LivekitConfig {
  /** http(s) base URL of the server API (RoomServiceClient, health). */
  apiUrl: string;
  /** ws(s) URL clients (and the observer) send media to. */
  publicUrl: string;
  /** ws(s) URL the observer connects to (the API host, as the node sees it). */
  observerUrl: string;
  apiKey: string;
  apiSecret: string;
  emptyTimeoutSeconds: number;
  maxParticipants: number;
  healthIntervalMs: number;
  requestTimeoutMs: number;
  observer: boolean;
  observerNetns: string | undefined;
}

/** Parses the LIVEKIT_* variables; throws one readable error naming every bad one. */
export function loadLivekitConfig(env: NodeJS.ProcessEnv): LivekitConfig {
  const e = parseEnv(envSchema, env, 'livekit');
  const base = e.LIVEKIT_URL.replace(/\/+$/, '');
  const publicUrl = (e.LIVEKIT_PUBLIC_URL ?? base).replace(/\/+$/, '');
  return {
    apiUrl: base.replace(/^ws(s?):/, 'http$1:'),
    publicUrl: publicUrl.replace(/^http(s?):/, 'ws$1:'),
    observerUrl: base.replace(/^http(s?):/, 'ws$1:'),
    apiKey: e.LIVEKIT_API_KEY,
    apiSecret: e.LIVEKIT_API_SECRET,
    emptyTimeoutSeconds: e.LIVEKIT_EMPTY_TIMEOUT_SECONDS,
    maxParticipants: e.LIVEKIT_MAX_PARTICIPANTS,
    healthIntervalMs: e.LIVEKIT_HEALTH_INTERVAL_MS,
    requestTimeoutMs: e.LIVEKIT_REQUEST_TIMEOUT_MS,
    observer: e.LIVEKIT_OBSERVER === 'true',
    observerNetns: e.LIVEKIT_OBSERVER_NETNS,
  };
}
