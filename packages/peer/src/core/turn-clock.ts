import type { Clock, TimerHandle } from '../clock.js';

/**
 * A clock whose `now()` reads the inner clock once per turn: between `hold()` and `release()`
 * every reading is the one taken at `hold()`. A received Message reads the time in several places
 * (the rate limit, its origin record, the cache), and a turn is one synchronous step, so they may
 * share a reading.
 * Timers go to the inner clock unchanged.
 */
export class TurnClock implements Clock {
  readonly #inner: Clock;
  /** Whether a turn holds a reading, and that reading. */
  #holding = false;
  #held = 0;

  constructor(inner: Clock) {
    this.#inner = inner;
  }

  now(): number {
    return this.#holding ? this.#held : this.#inner.now();
  }

  /**
   * Starts a turn: `now()` answers this reading until `release()`. False when a turn holds a
   * reading already (a nested one: it shares the outer reading, and must not release it).
   */
  hold(): boolean {
    if (this.#holding) return false;
    this.#held = this.#inner.now();
    this.#holding = true;
    return true;
  }

  release(): void {
    this.#holding = false;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    return this.#inner.setTimeout(callback, ms);
  }

  clearTimeout(handle: TimerHandle): void {
    this.#inner.clearTimeout(handle);
  }
}
