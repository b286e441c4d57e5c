import { createClient, ErrorReply, RESP_TYPES } from '@redis/client';
import type { Command } from './command.ts';

/** Redis could not be reached (offline, reconnecting, connection lost mid-command). */
export class RedisUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`Redis is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RedisUnavailableError';
  }
}

/** What one command of a pipeline or transaction produced. */
export type Outcome = { reply: unknown } | { error: string };

/** Options for {@link RedisExecutor}. */
export interface RedisExecutorOptions {
  /** `redis://[user:password@]host:port[/db]` */
  url: string;
  /** Connection events (first failure, recovery); silent when omitted. */
  log?: (line: string) => void;
}

// RESP2 with simple and bulk strings kept as raw bytes and integers as their decimal
// text: nothing is reshaped (no HGETALL-to-object), nothing is lost (binary values,
// integers beyond 2^53). See encode.ts for how these become JSON.
const TYPE_MAPPING = {
  [RESP_TYPES.SIMPLE_STRING]: Buffer,
  [RESP_TYPES.BLOB_STRING]: Buffer,
  [RESP_TYPES.NUMBER]: String,
};

const isReplyError = (error: unknown): error is ErrorReply => error instanceof ErrorReply;

/**
 * Runs gateway commands on one shared node-redis connection. Commands of a request are
 * queued synchronously, so node-redis writes them back to back: a pipeline keeps its
 * order and a MULTI ... EXEC block is never interleaved with other requests.
 *
 * Methods reject with the Redis `ErrorReply` for a command Redis refused, and with
 * {@link RedisUnavailableError} when Redis cannot be reached; the offline queue is off,
 * so an outage fails fast instead of piling up requests.
 */
export class RedisExecutor {
  readonly #client;
  readonly #log: (line: string) => void;
  #lastError = '';

  constructor(options: RedisExecutorOptions) {
    this.#log = options.log ?? (() => {});
    this.#client = createClient({
      url: options.url,
      RESP: 2,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 5_000,
        reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000),
      },
    });
    this.#client.on('error', (error: Error) => {
      // node-redis reports every reconnect attempt; log only changes.
      if (error.message !== this.#lastError) this.#log(`redis: ${error.message}`);
      this.#lastError = error.message;
    });
    this.#client.on('ready', () => {
      this.#log(`redis: connected to ${redactUrl(options.url)}`);
      this.#lastError = '';
    });
  }

  /**
   * Starts connecting; resolves once the first attempt succeeded or failed. After a
   * failure node-redis keeps retrying in the background and requests get 503 meanwhile.
   */
  start(): Promise<void> {
    return new Promise((resolve) => {
      const settle = (): void => {
        this.#client.off('ready', settle).off('error', settle);
        resolve();
      };
      this.#client.once('ready', settle).once('error', settle);
      this.#client.connect().catch(() => {
        // reported through the 'error' event
      });
    });
  }

  /** Runs one command and resolves with its raw reply. */
  async run(command: Command): Promise<unknown> {
    try {
      return await this.#send(command);
    } catch (error) {
      throw isReplyError(error) ? error : new RedisUnavailableError(error);
    }
  }

  /** Runs commands in order, not atomically; each gets its own reply or error. */
  async pipeline(commands: Command[]): Promise<Outcome[]> {
    const settled = await Promise.allSettled(commands.map((command) => this.#send(command)));
    return settled.map(toOutcome);
  }

  /**
   * Runs commands as one MULTI/EXEC transaction. A command Redis rejects while queueing
   * aborts the whole transaction (an `EXECABORT` error naming that command); a command
   * that fails while executing only fails its own slot, as in Redis.
   */
  async transaction(commands: Command[]): Promise<Outcome[]> {
    const options = { chainId: Symbol('multi-exec'), typeMapping: TYPE_MAPPING };
    const pending = [
      this.#client.sendCommand(['MULTI'], options),
      ...commands.map((command) => this.#client.sendCommand(command, options)),
      this.#client.sendCommand(['EXEC'], options),
    ];
    const settled = await Promise.allSettled(pending);
    for (const result of settled) {
      if (result.status === 'rejected' && !isReplyError(result.reason)) {
        throw new RedisUnavailableError(result.reason);
      }
    }
    const [multi] = settled;
    if (multi?.status === 'rejected') {
      // Only possible when Redis forbids MULTI (e.g. an ACL): the commands then ran one by one.
      throw new ErrorReply(`MULTI failed, the commands ran without a transaction: ${(multi.reason as Error).message}`);
    }
    const exec = settled.at(-1);
    if (exec?.status === 'fulfilled' && Array.isArray(exec.value)) {
      return exec.value.map((reply: unknown) =>
        reply instanceof ErrorReply ? { error: reply.message } : { reply },
      );
    }
    const queued = settled.slice(1, -1);
    const failed = queued.findIndex((result) => result.status === 'rejected');
    const cause = queued[failed];
    if (exec?.status === 'rejected' && cause?.status === 'rejected') {
      const name = String(commands[failed]?.[0]).toUpperCase();
      throw new ErrorReply(
        `${(exec.reason as Error).message} Command ${failed + 1} (${name}) failed: ${(cause.reason as Error).message}`,
      );
    }
    throw exec?.status === 'rejected' ? exec.reason : new ErrorReply('ERR unexpected EXEC reply');
  }

  /** True when Redis answers PING within `timeoutMs`. */
  async ping(timeoutMs = 2_000): Promise<boolean> {
    // Raced rather than node-redis's `timeout` option, which stops applying once the
    // command is written: a hung Redis would hang the health check too.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const answered = this.#client.sendCommand(['PING']).then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([answered, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Lets in-flight commands finish, then closes the connection. */
  async close(): Promise<void> {
    if (!this.#client.isOpen) return;
    if (this.#client.isReady) await this.#client.close();
    else this.#client.destroy();
  }

  #send(command: Command): Promise<unknown> {
    return this.#client.sendCommand(command, { typeMapping: TYPE_MAPPING });
  }
}

function toOutcome(result: PromiseSettledResult<unknown>): Outcome {
  if (result.status === 'fulfilled') return { reply: result.value };
  if (isReplyError(result.reason)) return { error: result.reason.message };
  throw new RedisUnavailableError(result.reason);
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'redis';
  }
}
