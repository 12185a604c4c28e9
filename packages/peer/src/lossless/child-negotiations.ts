import type { Clock, TimerHandle } from '../clock.js';

/**
 * Parent side (docs/protocol.md 10.1.2 item 5): the children whose offer this node took and whose
 * Digest it waits for. Only the child knows how its probe ended, and it says "lossless" with its
 * Digest, sent right behind its Join (or after the answer to a renegotiation); until then Messages
 * for it are held (HeldMessages). A child that sends no Digest within `bound` ms decided version 1.
 */
export class ChildNegotiations {
  readonly #clock: Clock;
  readonly #bound: number;
  readonly #timedOut: (child: string) => void;
  /** Created with the first wait (a leaf never has one). */
  #waiting: Map<string, TimerHandle> | undefined;

  constructor(clock: Clock, bound: number, timedOut: (child: string) => void) {
    this.#clock = clock;
    this.#bound = bound;
    this.#timedOut = timedOut;
  }

  /**
   * Waits for `child`'s Digest. A wait already running goes on as it was: a child that joins
   * again with each hello (root away) must not put the bound off for ever.
   */
  start(child: string): void {
    this.#waiting ??= new Map();
    if (this.#waiting.has(child)) return;
    const timer = this.#clock.setTimeout(() => {
      this.#waiting?.delete(child);
      this.#timedOut(child);
    }, this.#bound);
    this.#waiting.set(child, timer);
  }

  /** The wait for `child` ends (its Digest came, it sent a plain Message, or it left). */
  end(child: string): void {
    const timer = this.#waiting?.get(child);
    if (timer === undefined) return;
    this.#clock.clearTimeout(timer);
    this.#waiting?.delete(child);
  }

  close(): void {
    for (const timer of this.#waiting?.values() ?? []) this.#clock.clearTimeout(timer);
    this.#waiting?.clear();
  }
}
