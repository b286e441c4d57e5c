import { configDefaults, defineConfig } from 'vitest/config';

// Tests talk to the real local services started by scripts/services.sh
// (`npm test` starts them first). Suites isolate themselves by key prefix,
// database name or collection name, so files may run in parallel.
const contract = 'test/schemathesis-*.test.ts';

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'suites',
          include: ['{db,protocol,edge,media-node,gateway,scripts,web}/{src,test}/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, contract],
        },
      },
      // The HTTP contract runs (Schemathesis) keep the servers busy for minutes: they start
      // after every other suite, so that timing-sensitive suites never share the CPU with them.
      { extends: true, test: { name: 'contract', include: [contract], sequence: { groupOrder: 1 } } },
    ],
  },
});
