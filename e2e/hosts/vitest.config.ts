import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One bed at a time: each starts dozens of processes on a small machine.
    fileParallelism: false,
    // The bed's exit and signal handlers need a process of their own, not a worker thread.
    pool: 'forks',
  },
});
