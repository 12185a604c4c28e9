import { performance } from 'node:perf_hooks';

const origin = performance.timeOrigin;

/**
 * Milliseconds on a clock every process of the benchmark shares: this process's start in
 * wall-clock time plus monotonic time since. Two processes on one machine agree to within a few
 * microseconds, so a delivery timed in a worker can be compared with a send timed in the main
 * process.
 */
export function clock(): number {
  return origin + performance.now();
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
