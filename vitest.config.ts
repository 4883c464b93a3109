import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// One config for the whole workspace: `pnpm test` runs every project; a package's own
// `test` script narrows to its project. The `development` condition makes workspace
// packages resolve to their TypeScript sources, so tests never need a build first. ('import'
// and 'require' are added per import by Vite; listing 'import' here would also make the
// CommonJS `require`s of dual packages, such as express's of is-promise, load their ES build.)
const conditions = ['development', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['development'] } },
  test: {
    // Many suites start processes (the CLI, services, redis-server) whose start-up under `tsx`
    // takes a second or more on a loaded 2-core CI machine; vitest's 5 s default failed a test
    // that starts the CLI four times. Long tests still set their own, larger timeouts.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // At least two test files at once. Vitest's default (cores − 1) is one on a 2-core
    // machine, and most of the suite's time is waiting: on processes, on fault scenarios'
    // timers (a 60 s cut-off), on Redis. Two at once took the suite from 771 s to 481 s here,
    // every test passing (2026-12-03; 677 s in the fresh-clone CI run after it).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // In CI a JSON report lets `.ci/run` print one plain closing line with the counts.
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]] : ['default'],
    projects: [
      { extends: true, test: { name: 'core', include: ['packages/core/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'contracts', include: ['packages/contracts/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'drivers', include: ['packages/drivers/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'miner-sim', include: ['services/miner-sim/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'cli', include: ['packages/cli/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'backtest', include: ['packages/backtest/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'scheduler', include: ['services/scheduler/test/**/*.test.ts'] } },
    ],
  },
});
