# Sourced by the project's scripts: the local development secrets, generated once into
# the git-ignored data folder and exported. The LiveKit key pair is shared by the edge
# (join tokens), the media node (verification, room service, webhooks) and the local
# livekit-server (scripts/services.sh), so all three agree.
ensure_dev_secrets() {
  local secrets="$HUDDLE_DATA_DIR/dev-secrets.env"
  if [ ! -f "$secrets" ]; then
    mkdir -p "$HUDDLE_DATA_DIR"
    (
      umask 077
      {
        echo "JWT_SECRET=$(openssl rand -hex 32)"
        echo "LIVEKIT_API_KEY=huddle-dev"
        echo "LIVEKIT_API_SECRET=$(openssl rand -hex 32)"
      } > "$secrets"
    )
  fi
  set -a
  # shellcheck disable=SC1090
  source "$secrets"
  set +a
}
