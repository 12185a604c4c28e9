import { performance } from 'node:perf_hooks';

/** Monotonic milliseconds, for deadlines that must not jump with the wall clock. */
export const now = (): number => performance.now();
