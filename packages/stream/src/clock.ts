import { performance } from 'node:perf_hooks';

/**
 * Time as the transport and the protocol timers see it: monotonic milliseconds and timers.
 * Injected (`options.clock`) so that timeouts are tested without waiting.
 */
export interface Clock {
  /** Milliseconds, monotonic: deadlines must not jump with the wall clock. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** What {@link Clock.setTimeout} returns; only its clock knows what is inside. */
export type TimerHandle = { readonly __timer: unique symbol } | object;

/** The real clock: `performance.now()` and Node's timers (unref'd: they never keep a process alive). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

interface ManualTimer {
  at: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock that moves only when told to, for tests: `advance(ms)` runs every timer that falls due,
 * in order of due time.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Set<ManualTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, callback };
    this.#timers.add(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as ManualTimer);
  }

  /** Timers not yet run. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, running due timers (and timers they set that fall due) in order. */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const timer of this.#timers) {
        if (
          timer.at <= target &&
          (next === undefined ||
            timer.at < next.at ||
            (timer.at === next.at && timer.seq < next.seq))
        ) {
          next = timer;
        }
      }
      if (next === undefined) break;
      this.#timers.delete(next);
      this.#now = next.at;
      next.callback();
    }
    this.#now = target;
  }
}
