import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { mediaNodeRegistryKeys, type MediaBackend, type MediaNodeEntry } from '@huddle/protocol';

/** What the registry publishes about this node on each heartbeat. */
export interface NodeLoad {
  connections: number;
  rooms: number;
}

/** What the registry publishes about this node's SFU on each heartbeat. */
export interface NodeSfuState {
  backend: MediaBackend;
  available: boolean;
  /** LiveKit nodes: where clients send media. */
  livekitUrl?: string;
}

export interface NodeRegistryOptions {
  redis: Redis;
  log: Logger;
  nodeId: string;
  url: string;
  capacity: number;
  prefix: string;
  intervalSeconds: number;
  ttlSeconds: number;
  load: () => NodeLoad;
  sfu: () => NodeSfuState;
}

/**
 * This node's entry in the media-node registry (protocol/src/media-nodes.ts): `SET
 * {prefix}{nodeId} <json> EX ttl` + `SADD {index} nodeId` in one MULTI on every heartbeat,
 * removed on close. A crashed node stops heartbeating and its entry expires.
 */
export class NodeRegistry {
  readonly #o: NodeRegistryOptions;
  readonly #keys: ReturnType<typeof mediaNodeRegistryKeys>;
  #timer: NodeJS.Timeout | undefined;
  #draining = false;
  #closed = false;

  private constructor(options: NodeRegistryOptions) {
    this.#o = options;
    this.#keys = mediaNodeRegistryKeys(options.prefix);
  }

  /** Registers the node now and keeps heartbeating. */
  static async create(options: NodeRegistryOptions): Promise<NodeRegistry> {
    const registry = new NodeRegistry(options);
    await registry.heartbeat();
    registry.#timer = setInterval(() => {
      registry.heartbeat().catch((error: unknown) =>
        options.log.warn({ err: error instanceof Error ? error.message : String(error) }, 'registry heartbeat failed'),
      );
    }, options.intervalSeconds * 1000);
    registry.#timer.unref();
    return registry;
  }

  /** The entry as written now. */
  entry(): MediaNodeEntry {
    const load = this.#o.load();
    const sfu = this.#o.sfu();
    return {
      nodeId: this.#o.nodeId,
      url: this.#o.url,
      backend: sfu.backend,
      connections: load.connections,
      rooms: load.rooms,
      capacity: this.#o.capacity,
      ...(this.#draining ? { draining: true } : {}),
      sfuAvailable: sfu.available,
      ...(sfu.livekitUrl ? { livekitUrl: sfu.livekitUrl } : {}),
      updatedAt: new Date().toISOString(),
    };
  }

  /** Writes the entry and the index membership. */
  async heartbeat(): Promise<void> {
    if (this.#closed) return;
    await this.#o.redis
      .multi()
      .set(this.#keys.entry(this.#o.nodeId), JSON.stringify(this.entry()), 'EX', this.#o.ttlSeconds)
      .sadd(this.#keys.index, this.#o.nodeId)
      .exec();
  }

  /** Marks the node as draining (the edge places no new meetings here) and publishes it at once. */
  async drain(): Promise<void> {
    this.#draining = true;
    await this.heartbeat();
  }

  /** Stops heartbeating and removes the entry. Safe to call more than once. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#o.redis.multi().del(this.#keys.entry(this.#o.nodeId)).srem(this.#keys.index, this.#o.nodeId).exec();
  }
}
