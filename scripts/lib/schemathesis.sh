# Sourced by the project's scripts: a Python venv with Schemathesis (pinned in
# scripts/schemathesis/requirements.txt, from PyPI) under the tools cache, for the HTTP
# contract checks in test/schemathesis.test.ts. Idempotent: an existing venv whose
# requirements hash matches is reused; a changed requirements file builds a new one.
HUDDLE_TOOLS_DIR="${HUDDLE_TOOLS_DIR:-$HOME/.cache/huddle}"

# Prints the path of the venv's `st` on stdout; everything else goes to stderr.
ensure_schemathesis() {
  local root="${HUDDLE_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
  local requirements="$root/scripts/schemathesis/requirements.txt"
  local hash venv
  hash=$(sha256sum "$requirements" | cut -c1-12)
  venv="$HUDDLE_TOOLS_DIR/schemathesis-$hash"
  if [ ! -x "$venv/bin/st" ] || [ ! -f "$venv/.complete" ]; then
    ensure_python_venv || return 1
    echo "huddle: installing Schemathesis into $venv (PyPI, pinned)" >&2
    rm -rf "$venv"
    mkdir -p "$HUDDLE_TOOLS_DIR"
    python3 -m venv "$venv" >&2 || return 1
    "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input -r "$requirements" >&2 || {
      echo "huddle: could not install Schemathesis from PyPI" >&2; rm -rf "$venv"; return 1; }
    touch "$venv/.complete"
  fi
  echo "$venv/bin/st"
}

# python3 with the venv module (Debian splits it into python3-venv); installed with apt when missing.
ensure_python_venv() {
  if command -v python3 >/dev/null && python3 -c 'import ensurepip, venv' 2>/dev/null; then return 0; fi
  command -v apt-get >/dev/null || { echo "huddle: python3 with venv is required; install it and re-run" >&2; return 1; }
  [ "$(id -u)" = 0 ] || { echo "huddle: python3-venv is missing; run: sudo apt-get install -y python3 python3-venv" >&2; return 1; }
  echo "huddle: installing python3 and python3-venv (apt-get)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >&2
}
