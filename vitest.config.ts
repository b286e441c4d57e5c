import { defineConfig } from 'vitest/config';

// Tests talk to the real local services started by scripts/services.sh
// (`npm test` starts them first). Suites isolate themselves by key prefix,
// database name or collection name, so files may run in parallel.
export default defineConfig({
  test: {
    include: ['{db,protocol,edge,media-node,gateway,scripts,web}/{src,test}/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
