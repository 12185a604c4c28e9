import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Stops, and fails the run over, any PostgreSQL test cluster still running at its end.
    globalSetup: ['@p2p/test-postgres/vitest-global-setup'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // The network, chaos and browser tests start dozens of processes each: one file at a time
    // keeps a 2-core machine from starving their timers.
    fileParallelism: false,
  },
});
