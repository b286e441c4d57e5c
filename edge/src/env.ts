/** Bindings and variables the edge Worker receives (wrangler.toml, secrets). */
export interface EdgeBindings {
  /** Hyperdrive binding in production; locally wrangler points it at a plain URL. */
  HYPERDRIVE?: { connectionString: string };
  /** Plain connection string, used when there is no Hyperdrive (Node adapter). */
  DATABASE_URL?: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  CORS_ORIGINS?: string;
  LOG_LEVEL?: string;
}
