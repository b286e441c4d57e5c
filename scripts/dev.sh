#!/usr/bin/env bash
# The README's "run the whole system" command (`npm run dev`): Node 24,
# dependencies, local services, migrations, the media node, and the edge under
# wrangler dev (workerd). Ctrl-C stops the apps; the services keep running
# (stop them with `npm run services:down`).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib/config.sh"
source "$here/lib/node24.sh"
source "$here/lib/deps.sh"
source "$here/lib/secrets.sh"
cd "$HUDDLE_ROOT"

ensure_node24
ensure_npm_deps "$HUDDLE_ROOT"
bash "$here/services.sh" up
node db/src/migrate.ts

# Local secrets: generated once (scripts/lib/secrets.sh), shared with livekit-server.
ensure_dev_secrets

export EDGE_PORT="${EDGE_PORT:-8787}"
export MEDIA_NODE_HOST="${MEDIA_NODE_HOST:-127.0.0.1}"
export MEDIA_NODE_PORT="${MEDIA_NODE_PORT:-4000}"
export MEDIA_NODE_PUBLIC_URL="${MEDIA_NODE_PUBLIC_URL:-ws://127.0.0.1:$MEDIA_NODE_PORT}"
# Captions: the local offline transcriber (scripts/transcriber/); a hosted provider is one variable away.
export TRANSCRIBE_URL="${TRANSCRIBE_URL:-http://127.0.0.1:$HUDDLE_TRANSCRIBER_PORT}"
export TRANSCRIBE_MODEL="${TRANSCRIBE_MODEL:-whisper-tiny.en}"
# mediasoup when a worker starts, else the local livekit-server (LIVEKIT_URL, config.sh).
export SFU_ENGINE="${SFU_ENGINE:-auto}"

node media-node/src/main.ts &
media_pid=$!
trap 'kill $media_pid 2>/dev/null; wait $media_pid 2>/dev/null' EXIT INT TERM

deadline=$((SECONDS + 30))
until curl -fsS -m 2 "http://127.0.0.1:$MEDIA_NODE_PORT/health" >/dev/null 2>&1; do
  kill -0 $media_pid 2>/dev/null || { echo "huddle: the media node exited during start-up" >&2; exit 1; }
  [ $SECONDS -lt $deadline ] || { echo "huddle: the media node did not answer /health within 30s" >&2; exit 1; }
  sleep 0.3
done
echo "huddle: media node on http://127.0.0.1:$MEDIA_NODE_PORT (WebSocket $MEDIA_NODE_PUBLIC_URL/ws)" >&2

# wrangler dev reads the Worker's secrets from .dev.vars; Hyperdrive points at the
# local database. It also serves web/dist ([assets]); in development the client comes
# from Vite instead (below), so an empty directory will do until `npm run web:build`.
mkdir -p web/dist
bash "$here/write-dev-vars.sh"
export CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE="$DATABASE_URL"
export CLOUDFLARE_CF_FETCH_ENABLED=false WRANGLER_SEND_METRICS=false
echo "huddle: edge API on http://127.0.0.1:$EDGE_PORT (wrangler dev)" >&2
npx wrangler dev --ip 127.0.0.1 --port "$EDGE_PORT" --show-interactive-dev-session=false &
edge_pid=$!
trap 'kill $edge_pid $media_pid 2>/dev/null; wait $edge_pid $media_pid 2>/dev/null' EXIT INT TERM

# The web client: Vite on 5173, proxying /api to the edge (one origin for the browser).
export WEB_PORT="${WEB_PORT:-5173}"
echo "huddle: web client on http://127.0.0.1:$WEB_PORT (Vite) — open it in a browser" >&2
npm run dev -w web -- --clearScreen false &
web_pid=$!
trap 'kill $web_pid $edge_pid $media_pid 2>/dev/null; wait $web_pid $edge_pid $media_pid 2>/dev/null' EXIT INT TERM
wait -n $web_pid $edge_pid $media_pid
