# Sourced by scripts/test.sh: Debian packages the browser and media tests drive —
# chromium (Playwright runs Debian's build; no browser download), espeak-ng and sox
# (spoken test audio), iproute2 (network namespaces). Installs only what is missing.
ensure_test_tools() {
  local missing=() tool pkg
  for pair in chromium:chromium espeak-ng:espeak-ng sox:sox ip:iproute2; do
    tool="${pair%%:*}" pkg="${pair#*:}"
    command -v "$tool" >/dev/null 2>&1 || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
    echo "huddle: missing ${missing[*]}: the tests that need them print a skip line (install them to run those)" >&2
    return 0
  fi
  echo "huddle: installing ${missing[*]} (apt-get)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}
