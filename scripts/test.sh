#!/usr/bin/env bash
# The README's test command (`npm test`): Node 24, dependencies, local services,
# migrations, type check, then every test suite. Extra arguments go to vitest.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib/config.sh"
source "$here/lib/node24.sh"
source "$here/lib/deps.sh"
source "$here/lib/test-tools.sh"
cd "$HUDDLE_ROOT"

t0=$SECONDS
ensure_node24
ensure_npm_deps "$HUDDLE_ROOT"
bash "$here/services.sh" up
ensure_test_tools
DATABASE_URL="$TEST_DATABASE_URL" node db/src/migrate.ts
echo "huddle: set-up took $((SECONDS - t0))s; type-checking and linting" >&2
npx tsc -p tsconfig.json
npx tsc -p web/tsconfig.json
npx biome lint .
npx vitest run "$@"
echo "huddle: npm test took $((SECONDS - t0))s" >&2
