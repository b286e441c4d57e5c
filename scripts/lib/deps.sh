# Sourced by the project's scripts: installs npm dependencies when the lock file
# changed since the last install (or nothing is installed yet).
ensure_npm_deps() {
  # onnxruntime-node's postinstall only fetches GPU libraries from NuGet (unreachable, and
  # unused: its CPU binaries ship in the npm package). .npmrc says the same for plain npm.
  export ONNXRUNTIME_NODE_INSTALL=skip
  local root="$1" stamp="$1/node_modules/.huddle-lock.sha256" want have=""
  [ -f "$root/package-lock.json" ] || { (cd "$root" && npm install --no-audit --no-fund) ; return; }
  want=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
  [ -f "$stamp" ] && have=$(cat "$stamp")
  [ "$want" = "$have" ] && return 0
  if [ -d "$root/node_modules" ]; then
    # An existing tree is updated in place: npm ci would delete it under running tools.
    echo "huddle: updating npm dependencies (npm install)" >&2
    (cd "$root" && npm install --no-audit --no-fund --loglevel=error) || return 1
  else
    echo "huddle: installing npm dependencies (npm ci)" >&2
    (cd "$root" && npm ci --no-audit --no-fund --loglevel=error) || return 1
  fi
  want=$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)
  echo "$want" > "$stamp"
}
