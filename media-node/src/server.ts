import { serve, type ServerType } from '@hono/node-server';
import { Hono } from 'hono';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { createNodeDb, pingDatabase, type NodeDb } from '@huddle/db';
import type { MediaNodeConfig } from './config.ts';
import { healthRoutes } from './http/health.routes.ts';

/**
 * The media node process: owns its connections and its HTTP/WebSocket server.
 * Built by `create()`; `close()` is safe to call more than once and closes the
 * server before the connections it depends on.
 */
export class MediaNodeServer {
  readonly config: MediaNodeConfig;
  readonly redis: Redis;
  readonly mongo: MongoClient;
  readonly db: NodeDb;
  readonly #http: ServerType;
  readonly #log: Logger;
  #closing: Promise<void> | undefined;

  private constructor(
    config: MediaNodeConfig,
    log: Logger,
    deps: { redis: Redis; mongo: MongoClient; db: NodeDb },
    http: ServerType,
  ) {
    this.config = config;
    this.#log = log;
    this.redis = deps.redis;
    this.mongo = deps.mongo;
    this.db = deps.db;
    this.#http = http;
  }

  /** Connects to Redis, MongoDB and Postgres lazily and starts listening. */
  static async create(config: MediaNodeConfig, log: Logger): Promise<MediaNodeServer> {
    const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
    redis.on('error', (error) => log.warn({ err: error.message }, 'redis connection error'));
    const mongo = new MongoClient(config.mongodbUrl, { serverSelectionTimeoutMS: 2_000 });
    const db = createNodeDb(config.databaseUrl);

    const app = new Hono().route(
      '/',
      healthRoutes({
        postgres: () => pingDatabase(db),
        redis: () => redis.ping(),
        mongodb: () => mongo.db().command({ ping: 1 }),
      }),
    );
    const http = await new Promise<ServerType>((resolve, reject) => {
      const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () =>
        resolve(server),
      );
      server.once('error', reject);
    });
    const node = new MediaNodeServer(config, log, { redis, mongo, db }, http);
    log.info({ url: `http://${config.host}:${node.port}`, publicUrl: config.publicUrl }, 'media node listening');
    return node;
  }

  /** The port actually bound (useful when configured as 0). */
  get port(): number {
    const address = this.#http.address();
    return typeof address === 'object' && address ? address.port : this.config.port;
  }

  /** Stops accepting, then closes every connection. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
    await Promise.allSettled([this.redis.quit(), this.mongo.close(), this.db.close()]);
    this.#log.info('media node closed');
  }
}
