import type { Clock, TimerHandle } from '../clock.js';

interface Waiting {
  /** Where the cache stood when the wait began: what arrived since is held for the child. */
  mark: number;
  timer: TimerHandle;
}

/**
 * Parent side (docs/protocol.md 10.1.2 item 5): the children whose offer this node took and whose
 * Digest it waits for. Only the child knows how its probe ended, and it says "lossless" with its
 * Digest, sent right behind its Join (or after the answer to a renegotiation); until then Messages
 * for it wait in the cache. A child that sends no Digest within `bound` ms decided version 1.
 */
export class ChildNegotiations {
  readonly #clock: Clock;
  readonly #bound: number;
  readonly #timedOut: (child: string, mark: number) => void;
  /** Created with the first wait (a leaf never has one). */
  #waiting: Map<string, Waiting> | undefined;

  constructor(clock: Clock, bound: number, timedOut: (child: string, mark: number) => void) {
    this.#clock = clock;
    this.#bound = bound;
    this.#timedOut = timedOut;
  }

  /**
   * Waits for `child`'s Digest, holding from `mark` on. A wait already running goes on as it was:
   * a child that joins again with each hello (root away) must not put the bound off for ever.
   */
  start(child: string, mark: number): void {
    this.#waiting ??= new Map();
    if (this.#waiting.has(child)) return;
    const timer = this.#clock.setTimeout(() => {
      this.#waiting?.delete(child);
      this.#timedOut(child, mark);
    }, this.#bound);
    this.#waiting.set(child, { mark, timer });
  }

  /** The wait for `child` ends (its Digest came, it sent a plain Message, or it left): its mark. */
  end(child: string): number | undefined {
    const waiting = this.#waiting?.get(child);
    if (waiting === undefined) return undefined;
    this.#clock.clearTimeout(waiting.timer);
    this.#waiting?.delete(child);
    return waiting.mark;
  }

  close(): void {
    for (const { timer } of this.#waiting?.values() ?? []) this.#clock.clearTimeout(timer);
    this.#waiting?.clear();
  }
}
