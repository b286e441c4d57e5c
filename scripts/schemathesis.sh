#!/usr/bin/env bash
# Makes sure the pinned Schemathesis venv exists and prints the path of its `st`
# (test/schemathesis.test.ts runs this; scripts/test.sh too, before the suites).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib/config.sh"
source "$here/lib/schemathesis.sh"
ensure_schemathesis
