# One image definition for the project's Node processes; docker-compose.yml picks a
# target per service. The databases use their official images.
FROM node:24-bookworm-slim AS deps
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json .npmrc ./
COPY protocol/package.json protocol/
COPY db/package.json db/
COPY edge/package.json edge/
COPY media-node/package.json media-node/
COPY gateway/package.json gateway/
COPY scripts/package.json scripts/
RUN npm ci --include=dev --no-audit --no-fund \
 && apt-get update && apt-get install -y --no-install-recommends curl ca-certificates \
 && rm -rf /var/lib/apt/lists/*

FROM deps AS source
COPY tsconfig.json wrangler.toml ./
COPY protocol protocol
COPY db db
COPY edge edge
COPY media-node media-node
COPY gateway gateway
COPY scripts scripts
RUN chown node:node /app
USER node

# Upstash-compatible REST gateway in front of Redis.
FROM source AS gateway
EXPOSE 8079
CMD ["node", "gateway/src/main.ts"]

# Media node: migrations first, then signaling, SFU and AI workers.
FROM source AS media-node
EXPOSE 4000
CMD ["sh", "-c", "node db/src/migrate.ts && exec node media-node/src/main.ts"]

# Edge API on the Node adapter (@hono/node-server), the self-hosted runtime: the same
# app as on Workers, but not a development server (wrangler dev trusts client-sent
# CF-Connecting-IP and answers runtime errors with stack traces). The client address is
# the socket's peer unless EDGE_TRUSTED_PROXIES names the proxy in front.
FROM source AS edge
ENV EDGE_HOST=0.0.0.0 EDGE_PORT=8787
EXPOSE 8787
CMD ["node", "edge/src/node.ts"]
