import type { Server } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import { createRoute, z } from '@hono/zod-openapi';
import { Redis } from 'ioredis';
import { TokenVerifier, WebhookReceiver } from 'livekit-server-sdk';
import { MongoClient } from 'mongodb';
import type { Logger } from 'pino';
import { createNodeDb, pingDatabase, type NodeDb } from '@huddle/db';
import type { MediaNodeConfig } from './config.ts';
import { allowedMethods } from './http/allowed-methods.ts';
import { healthRoutes } from './http/health.routes.ts';
import { historyRoutes } from './http/history.routes.ts';
import { livekitWebhookRoutes } from './http/livekit-webhook.routes.ts';
import { metricsRoutes } from './http/metrics.routes.ts';
import { createRouter, jsonResponse, mediaNodeOpenApiDocument } from './http/openapi.ts';
import { createMetrics, type MediaMetrics } from './metrics.ts';
import { NodeRegistry } from './registry/node-registry.ts';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './signaling/connection.ts';
import { MediaServer } from './signaling/media-server.ts';
import { TokenBuckets } from './signaling/rate-limit.ts';
import { errorMessage } from './signaling/types.ts';
import { ChatStore } from './stores/chat-store.ts';
import { AiWorkerPool } from './ai/pool.ts';
import { Roster } from './stores/roster.ts';
import { startSfuEngine, type SfuEngine, type SfuStartResult } from './sfu/index.ts';
import { LivekitWebhooks } from './sfu/livekit/webhooks.ts';
import { CaptionsService } from './captions/service.ts';
import { redisKeys } from '@huddle/protocol';

const openApiRoute = createRoute({
  method: 'get',
  path: '/api/v1/openapi.json',
  tags: ['meta'],
  summary: 'This OpenAPI 3.1 document',
  responses: { 200: jsonResponse(z.record(z.string(), z.unknown()), 'The document') },
});

/** Knobs for tests and benchmarks; production uses the defaults. */
export interface MediaNodeOptions {
  connectionLimits?: Partial<ConnectionLimits>;
  /** Collect process metrics (CPU, RSS, event loop) too; default true. */
  processMetrics?: boolean;
  /** Use this engine instead of starting the one SFU_ENGINE names (tests: an engine that feeds audio taps). */
  sfuEngine?: SfuEngine;
}

/**
 * The media node process: owns its connections (Redis, a Redis subscriber, MongoDB,
 * Postgres), the HTTP server, signaling (MediaServer → Room → Peer) and the registry
 * heartbeat. Built by `create()`; `close()` is safe to call more than once and shuts
 * down in order: drain (registry), rooms (room.closing, 1001), deregister, HTTP, clients.
 */
export class MediaNodeServer {
  readonly config: MediaNodeConfig;
  readonly redis: Redis;
  readonly mongo: MongoClient;
  readonly db: NodeDb;
  readonly metrics: MediaMetrics;
  readonly media: MediaServer;
  readonly registry: NodeRegistry;
  /** The AI worker pool, unless AI_WORKERS_ENABLED=false. */
  readonly ai: AiWorkerPool | undefined;
  /** The SFU engine, unless none could start (see /ready). */
  readonly sfu: SfuEngine | undefined;
  /** Captions, talk time and summaries. */
  readonly captions: CaptionsService;
  readonly #http: ServerType;
  readonly #log: Logger;
  #closing: Promise<void> | undefined;

  private constructor(
    config: MediaNodeConfig,
    log: Logger,
    deps: {
      redis: Redis;
      mongo: MongoClient;
      db: NodeDb;
      metrics: MediaMetrics;
      media: MediaServer;
      registry: NodeRegistry;
      ai: AiWorkerPool | undefined;
      sfu: SfuEngine | undefined;
      captions: CaptionsService;
    },
    http: ServerType,
  ) {
    this.config = config;
    this.#log = log;
    this.redis = deps.redis;
    this.mongo = deps.mongo;
    this.db = deps.db;
    this.metrics = deps.metrics;
    this.media = deps.media;
    this.registry = deps.registry;
    this.ai = deps.ai;
    this.sfu = deps.sfu;
    this.captions = deps.captions;
    this.#http = http;
  }

  /** Connects to Redis, MongoDB (indexes) and Postgres, starts listening and registers the node. */
  static async create(config: MediaNodeConfig, log: Logger, options: MediaNodeOptions = {}): Promise<MediaNodeServer> {
    log = log.child({ nodeId: config.nodeId });
    const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
    redis.on('error', (error) => log.warn({ err: error.message }, 'redis connection error'));
    const subscriber = redis.duplicate();
    subscriber.on('error', (error) => log.warn({ err: error.message }, 'redis subscriber error'));
    const mongo = new MongoClient(config.mongodbUrl, { serverSelectionTimeoutMS: 2_000 });
    // A private pool: the node closes it on shutdown (several nodes may share a process in tests).
    const db = createNodeDb(config.databaseUrl, { shared: false });
    const metrics = createMetrics({ defaults: options.processMetrics ?? true });
    const verifier = new TokenVerifier(config.livekit.apiKey, config.livekit.apiSecret);

    let http: ServerType | undefined;
    let media: MediaServer | undefined;
    let ai: AiWorkerPool | undefined;
    let sfu: SfuEngine | undefined;
    let captions: CaptionsService | undefined;
    try {
      await redis.connect();
      const started: SfuStartResult = options.sfuEngine
        ? { engine: options.sfuEngine, backend: options.sfuEngine.backend }
        : await startSfuEngine(config.sfuEngine, {
            log,
            metricsRegistry: metrics.registry,
            env: config.env,
            nodeId: config.nodeId,
            redis,
            db: db.db,
          });
      sfu = started.engine;
      captions = await CaptionsService.create({
        config: config.captions,
        nodeId: config.nodeId,
        redis,
        mongo: mongo.db(),
        db: db.db,
        log,
        metricsRegistry: metrics.registry,
        stream: config.ai?.keys?.stream ?? redisKeys.aiTasks,
      });
      const sfuEngine = sfu;
      const chat = await ChatStore.create(mongo.db());
      const roster = new Roster(redis);
      // Webhooks apply to shared state (Postgres, roster, meeting channel), so any node takes them.
      const webhooks = new LivekitWebhooks(new WebhookReceiver(config.livekit.apiKey, config.livekit.apiSecret), {
        redis,
        db: db.db,
        roster,
        nodeId: config.nodeId,
        log,
        refuse: async (meetingId, userId) => {
          await sfuEngine?.disconnect?.(meetingId, userId);
        },
      });
      const app = createRouter();
      let document: object | undefined;
      app.use('*', allowedMethods(() => app.routes));
      app
        .route(
          '/',
          healthRoutes({
            postgres: () => pingDatabase(db),
            redis: () => redis.ping(),
            mongodb: () => mongo.db().command({ ping: 1 }),
            // An SFU that was asked for by name must run; `auto` and `none` report it only.
            ...(config.sfuEngine === 'mediasoup' || config.sfuEngine === 'livekit'
              ? { sfu: async () => sfuAvailableOrThrow(sfuEngine, started.problem) }
              : {}),
          }),
        )
        .route('/', metricsRoutes(metrics.registry))
        .route('/', livekitWebhookRoutes(webhooks))
        .route(
          '/',
          historyRoutes({
            db: db.db,
            redis,
            verifier,
            jwtKey: new TextEncoder().encode(config.jwtSecret),
            chat,
            insights: mongo.db(),
          }),
        )
        // Built on the first request, when every route is registered.
        .openapi(openApiRoute, (c) => {
          document ??= mediaNodeOpenApiDocument(app);
          return c.json(document, 200);
        });
      app.onError((error, c) => {
        log.error({ err: errorMessage(error), path: c.req.path }, 'request failed');
        return c.json({ error: { code: 'internal', message: 'Internal error.' } }, 500);
      });
      app.notFound((c) => c.json({ error: { code: 'not_found', message: 'Not found.' } }, 404));

      http = await new Promise<ServerType>((resolve, reject) => {
        const server = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () => resolve(server));
        server.once('error', reject);
      });
      const address = http.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      // Port 0 (tests): advertise the port actually bound.
      if (config.publicUrl.endsWith(':0')) config = { ...config, publicUrl: `${config.publicUrl.slice(0, -2)}:${port}` };

      media = await MediaServer.create(
        {
          nodeId: config.nodeId,
          redis,
          db: db.db,
          chat,
          roster,
          chatLimiter: new TokenBuckets(config.chatRatePerSecond, config.chatRateBurst),
          metrics,
          log,
          registryPrefix: config.registryPrefix,
          roomIdleCloseMs: config.roomIdleCloseMs,
          connectionLimits: { ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits },
          sfu,
          sfuBackend: started.backend,
          captions,
          lobby: config.lobby,
        },
        http as Server,
        verifier,
        subscriber,
        { pingIntervalMs: config.wsPingIntervalMs, accessSweepIntervalMs: config.accessSweepIntervalMs },
      );
      const mediaServer = media;
      const registry = await NodeRegistry.create({
        redis,
        log,
        nodeId: config.nodeId,
        url: config.publicUrl,
        capacity: config.capacity,
        prefix: config.registryPrefix,
        intervalSeconds: config.registryHeartbeatIntervalSeconds,
        ttlSeconds: config.registryTtlSeconds,
        load: () => ({ connections: mediaServer.connections, rooms: mediaServer.rooms }),
        sfu: () => ({
          backend: started.backend,
          available: sfuEngine?.available ?? false,
          ...(sfuEngine?.livekitUrl ? { livekitUrl: sfuEngine.livekitUrl } : {}),
        }),
      });
      if (config.ai) {
        const { redis: _url, mongo: _mongoUrl, logLevel: _level, ...aiOptions } = config.ai;
        ai = await AiWorkerPool.create({ ...aiOptions, redis, mongo, log, metricsRegistry: metrics.registry });
      }
      const node = new MediaNodeServer(config, log, { redis, mongo, db, metrics, media, registry, ai, sfu, captions }, http);
      log.info({ url: `http://${config.host}:${port}`, publicUrl: config.publicUrl }, 'media node listening');
      return node;
    } catch (error) {
      await ai?.close();
      await media?.close();
      await captions?.close();
      await sfu?.close();
      if (http) {
        const server = http;
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      subscriber.disconnect();
      redis.disconnect();
      await Promise.allSettled([mongo.close(), db.close()]);
      throw error;
    }
  }

  /** The port actually bound (useful when configured as 0). */
  get port(): number {
    const address = this.#http.address();
    return typeof address === 'object' && address ? address.port : this.config.port;
  }

  /** Graceful shutdown (see the class comment). Safe to call more than once. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.media.stopAccepting();
    // Unfinished AI tasks go back to the stream for other nodes while rooms close.
    const aiClosed = this.ai?.close().catch((error: unknown) => this.#log.warn({ err: errorMessage(error) }, 'AI pool close failed'));
    await this.registry.drain().catch((error: unknown) => this.#log.warn({ err: errorMessage(error) }, 'registry drain failed'));
    await this.media.close();
    // Last utterances and end-of-meeting summaries of closed rooms, bounded.
    await this.captions.close().catch((error: unknown) => this.#log.warn({ err: errorMessage(error) }, 'captions close failed'));
    await this.sfu?.close().catch((error: unknown) => this.#log.warn({ err: errorMessage(error) }, 'SFU close failed'));
    await this.registry.close().catch((error: unknown) => this.#log.warn({ err: errorMessage(error) }, 'deregistration failed'));
    await aiClosed;
    await new Promise<void>((resolve) => {
      this.#http.close(() => resolve());
      if ('closeAllConnections' in this.#http) this.#http.closeAllConnections();
    });
    await Promise.allSettled([this.redis.quit(), this.mongo.close(), this.db.close()]);
    this.#log.info('media node closed');
  }
}

/** /ready probe of a required SFU: throws (→ down) while the engine cannot take media. */
function sfuAvailableOrThrow(engine: SfuEngine | undefined, problem: string | undefined): void {
  if (!engine) throw Object.assign(new Error(problem ?? 'no SFU engine'), { code: 'sfu_not_running' });
  if (!engine.available) throw Object.assign(new Error('SFU unavailable'), { code: 'sfu_unavailable' });
}
