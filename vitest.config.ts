import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Every file the run writes is checked for secrets at its end (test/setup/secret-audit.global.ts).
    globalSetup: ['test/setup/secret-audit.global.ts'],
    setupFiles: ['test/setup/secret-audit.worker.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
