# Sourced by the project's scripts: local defaults for every service and app.
# Each value can be overridden from the environment; see README "Configuration".
HUDDLE_ROOT="${HUDDLE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
HUDDLE_DATA_DIR="${HUDDLE_DATA_DIR:-$HUDDLE_ROOT/.huddle}"
HUDDLE_TOOLS_DIR="${HUDDLE_TOOLS_DIR:-$HOME/.cache/huddle}"

HUDDLE_PG_PORT="${HUDDLE_PG_PORT:-5432}"
HUDDLE_REDIS_PORT="${HUDDLE_REDIS_PORT:-6379}"
HUDDLE_MONGO_PORT="${HUDDLE_MONGO_PORT:-27017}"
HUDDLE_GATEWAY_PORT="${HUDDLE_GATEWAY_PORT:-8079}"
HUDDLE_FERRETDB_VERSION="v1.24.2" # pinned; also in scripts/ferretdb/go.mod
HUDDLE_LIVEKIT_PORT="${HUDDLE_LIVEKIT_PORT:-7880}"
HUDDLE_LIVEKIT_UDP_PORT="${HUDDLE_LIVEKIT_UDP_PORT:-7882}"
# pinned: v1.13.6-v1.13.11 carry go.mod replace directives, so `go install` refuses them
# (re-checked 2026-11-30); also in scripts/src/testing/livekit-server.ts
HUDDLE_LIVEKIT_VERSION="v1.13.5"

export DATABASE_URL="${DATABASE_URL:-postgres://huddle:huddle@127.0.0.1:$HUDDLE_PG_PORT/huddle}"
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://huddle:huddle@127.0.0.1:$HUDDLE_PG_PORT/huddle_test}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$HUDDLE_REDIS_PORT}"
export MONGODB_URL="${MONGODB_URL:-mongodb://127.0.0.1:$HUDDLE_MONGO_PORT/huddle}"
export UPSTASH_REDIS_REST_URL="${UPSTASH_REDIS_REST_URL:-http://127.0.0.1:$HUDDLE_GATEWAY_PORT}"
export UPSTASH_REDIS_REST_TOKEN="${UPSTASH_REDIS_REST_TOKEN:-huddle-local-token}"
export LIVEKIT_URL="${LIVEKIT_URL:-ws://127.0.0.1:$HUDDLE_LIVEKIT_PORT}"
export HUDDLE_ROOT HUDDLE_DATA_DIR HUDDLE_TOOLS_DIR HUDDLE_PG_PORT HUDDLE_REDIS_PORT \
  HUDDLE_MONGO_PORT HUDDLE_GATEWAY_PORT HUDDLE_LIVEKIT_PORT HUDDLE_LIVEKIT_UDP_PORT HUDDLE_LIVEKIT_VERSION
