import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Database } from '@huddle/db';
import type { MediaBackend, SignalingError, SignalingErrorCode } from '@huddle/protocol';
import type { CaptionsService } from '../captions/service.ts';
import type { MediaMetrics } from '../metrics.ts';
import type { SfuEngine } from '../sfu/engine.ts';
import type { ChatStore } from '../stores/chat-store.ts';
import type { Roster } from '../stores/roster.ts';
import type { ConnectionLimits } from './connection.ts';
import type { TokenBuckets } from './rate-limit.ts';

/** What rooms and peers of one node share. */
export interface SignalingContext {
  nodeId: string;
  /** Commands and PUBLISH (never SUBSCRIBE: the MediaServer has its own subscriber). */
  redis: Redis;
  db: Database;
  chat: ChatStore;
  roster: Roster;
  chatLimiter: TokenBuckets;
  metrics: MediaMetrics;
  log: Logger;
  /** Registry prefix, to tell live nodes from dead ones in a roster. */
  registryPrefix: string;
  /** Delay between the last local peer leaving and the room closing, in ms. */
  roomIdleCloseMs: number;
  connectionLimits: ConnectionLimits;
  /** The node's SFU, or undefined when none runs (then `sfu.*` requests answer `unavailable`). */
  sfu: SfuEngine | undefined;
  /** The backend this node registers with (its engine's, or the one it failed to start). */
  sfuBackend: MediaBackend;
  /** Captions, talk time and summaries; undefined on nodes without them. */
  captions?: CaptionsService | undefined;
  /** Lobby settings (config.lobby): block after removal, sweep interval. */
  lobby: { blockSeconds: number; sweepIntervalMs: number };
}

/** A handler's outcome: data for an ok response, or an error with a stable code. */
export type Result<T = unknown> = { ok: true; data: T } | { ok: false; error: SignalingError };

export const ok = <T>(data: T): Result<T> => ({ ok: true, data });
export const fail = (code: SignalingErrorCode, message: string): Result<never> => ({ ok: false, error: { code, message } });

/** Exhaustiveness check for switches over unions. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}

/** A short message for logs (never sent to clients). */
export const errorMessage = (error: unknown): string => (error instanceof Error ? error.message : String(error));
