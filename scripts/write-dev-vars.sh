#!/usr/bin/env bash
# Writes .dev.vars (git-ignored, mode 600) for `wrangler dev` from the current
# environment: the edge's secrets and the settings that differ per machine.
# Used by scripts/dev.sh and by the edge container (Dockerfile).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
names=(UPSTASH_REDIS_REST_URL UPSTASH_REDIS_REST_TOKEN JWT_SECRET LIVEKIT_API_KEY LIVEKIT_API_SECRET CORS_ORIGINS LOG_LEVEL)
umask 077
{
  for name in "${names[@]}"; do
    # JSON-quoted so that any character survives the dotenv parser.
    [ -n "${!name:-}" ] && printf '%s=%s\n' "$name" "$(node -p 'JSON.stringify(process.argv[1])' "${!name}")"
  done
  true
} > "$root/.dev.vars"
