import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parseEnv } from '../../env-config.ts';

const booleanFlag = z.enum(['true', 'false']).transform((v) => v === 'true');
const bitrate = z.coerce.number().int().min(10_000).max(100_000_000);

const envSchema = z
  .object({
    /** Path of the mediasoup-worker binary; unset: the one mediasoup's own install built or downloaded. */
    MEDIASOUP_WORKER_BIN: z.string().min(1).optional(),
    /** Workers (one process each), default one per CPU. */
    MEDIASOUP_WORKERS: z.coerce.number().int().min(1).max(64).default(availableParallelism()),
    /** Address the workers listen on (WebRtcServer, plain and pipe transports). */
    MEDIASOUP_LISTEN_IP: z.union([z.ipv4(), z.ipv6()]).default('127.0.0.1'),
    /** Address (IP or host name) announced to clients in ICE candidates, e.g. the VM's public IP behind NAT. */
    MEDIASOUP_ANNOUNCED_ADDRESS: z.string().min(1).max(253).optional(),
    /** Worker i's WebRtcServer listens on UDP and TCP port base + i. 0: any free port (tests). */
    MEDIASOUP_PORT_BASE: z.coerce.number().int().min(0).max(65_000).default(44_444),
    /** Port range of plain and pipe transports. */
    MEDIASOUP_RTC_MIN_PORT: z.coerce.number().int().min(1024).max(65_535).default(40_000),
    MEDIASOUP_RTC_MAX_PORT: z.coerce.number().int().min(1024).max(65_535).default(49_999),
    /**
     * Consumers a meeting's router takes before later participants are placed on a
     * router of another worker, fed through pipeToRouter.
     */
    MEDIASOUP_ROUTER_CONSUMERS_MAX: z.coerce.number().int().min(1).default(400),
    /** Per-transport cap of what a client may send, bits per second. */
    MEDIASOUP_MAX_INCOMING_BITRATE: bitrate.default(1_500_000),
    /** Per-transport cap of what the SFU sends to a client, bits per second (unset: the BWE alone decides). */
    MEDIASOUP_MAX_OUTGOING_BITRATE: bitrate.optional(),
    /** Bandwidth estimate a new receiving transport starts from, bits per second. */
    MEDIASOUP_INITIAL_OUTGOING_BITRATE: bitrate.default(1_000_000),
    /**
     * Plain RTP transports through signaling (tests, benchmarks, tools). Off by default:
     * with comedia the node only sends to an address that sent to it first, but a
     * plain receiving transport sends wherever the client says.
     */
    MEDIASOUP_ALLOW_PLAIN_TRANSPORTS: booleanFlag.default(false),
    /** Log level inside the workers (forwarded to the node's logger). */
    MEDIASOUP_LOG_LEVEL: z.enum(['debug', 'warn', 'error', 'none']).default('warn'),
    /** How often worker CPU and RTP byte counters are sampled, ms. */
    MEDIASOUP_STATS_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    /** How often the loudest speakers' levels are reported (`speaker.levels`), ms. */
    MEDIASOUP_AUDIO_LEVEL_INTERVAL_MS: z.coerce.number().int().min(100).max(10_000).default(500),
  })
  .refine((e) => e.MEDIASOUP_RTC_MIN_PORT < e.MEDIASOUP_RTC_MAX_PORT, {
    message: 'must be below MEDIASOUP_RTC_MAX_PORT',
    path: ['MEDIASOUP_RTC_MIN_PORT'],
  })
  .refine((e) => e.MEDIASOUP_PORT_BASE === 0 || e.MEDIASOUP_PORT_BASE + e.MEDIASOUP_WORKERS - 1 <= 65_535, {
    message: 'base + workers − 1 must be a port number',
    path: ['MEDIASOUP_PORT_BASE'],
  });

/** The mediasoup engine's settings (MEDIASOUP_* variables). */
export interface MediasoupConfig {
  workerBin: string | undefined;
  workers: number;
  listenIp: string;
  announcedAddress: string | undefined;
  /** 0: any free port. */
  portBase: number;
  rtcMinPort: number;
  rtcMaxPort: number;
  routerConsumersMax: number;
  /** Bits per second. */
  maxIncomingBitrate: number;
  /** Bits per second; undefined: uncapped. */
  maxOutgoingBitrate: number | undefined;
  /** Bits per second. */
  initialOutgoingBitrate: number;
  allowPlainTransports: boolean;
  logLevel: 'debug' | 'warn' | 'error' | 'none';
  statsIntervalMs: number;
  audioLevelIntervalMs: number;
}

/**
 * Parses the MEDIASOUP_* variables of `env`.
 * @throws Error naming every bad variable.
 */
export function loadMediasoupConfig(env: NodeJS.ProcessEnv): MediasoupConfig {
  const e = parseEnv(envSchema, env, 'mediasoup');
  return {
    workerBin: e.MEDIASOUP_WORKER_BIN,
    workers: e.MEDIASOUP_WORKERS,
    listenIp: e.MEDIASOUP_LISTEN_IP,
    announcedAddress: e.MEDIASOUP_ANNOUNCED_ADDRESS,
    portBase: e.MEDIASOUP_PORT_BASE,
    rtcMinPort: e.MEDIASOUP_RTC_MIN_PORT,
    rtcMaxPort: e.MEDIASOUP_RTC_MAX_PORT,
    routerConsumersMax: e.MEDIASOUP_ROUTER_CONSUMERS_MAX,
    maxIncomingBitrate: e.MEDIASOUP_MAX_INCOMING_BITRATE,
    maxOutgoingBitrate: e.MEDIASOUP_MAX_OUTGOING_BITRATE,
    initialOutgoingBitrate: e.MEDIASOUP_INITIAL_OUTGOING_BITRATE,
    allowPlainTransports: e.MEDIASOUP_ALLOW_PLAIN_TRANSPORTS,
    logLevel: e.MEDIASOUP_LOG_LEVEL,
    statsIntervalMs: e.MEDIASOUP_STATS_INTERVAL_MS,
    audioLevelIntervalMs: e.MEDIASOUP_AUDIO_LEVEL_INTERVAL_MS,
  };
}
