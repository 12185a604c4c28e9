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

let taskTime: number | undefined;
const forgetTaskTime = (): void => {
  taskTime = undefined;
};

/**
 * {@link clock} read once per task: every call until the current task's microtasks run answers
 * the first call's reading. The raw flood reads the clock once per socket read for all the frames
 * that read brought; our nodes deliver each Message through an event, so a delivery timed with
 * this costs the same one reading per read (the events of one read run in one task).
 */
export function taskClock(): number {
  if (taskTime === undefined) {
    taskTime = clock();
    queueMicrotask(forgetTaskTime);
  }
  return taskTime;
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
