import type { Clock, TimerHandle } from '../clock.js';
import type { DigestPacket } from './lossless-packets.js';

/**
 * Children's Digests a fresh node has not answered yet, while its parent edge is being negotiated
 * or awaits the parent's Digest (docs/protocol.md 10.1.5): answered once that Digest is adopted, or
 * the parent edge is version 1 or gone, or at most `bound` ms (one hello interval) after the first
 * was deferred. Answered at once, the child would send what it caches, and with no marks adopted
 * this node would take the tree's past as new.
 */
export class DeferredDigests {
  readonly #clock: Clock;
  readonly #bound: number;
  readonly #expired: () => void;
  readonly #digests = new Map<string, DigestPacket>();
  /**
   * The bound on deferring: a parent edge that does not settle (the root away, or answering hellos
   * but no probe) would otherwise leave the children with nothing through this node. Past it the
   * deferral is over (`over`) until the parent edge goes: this node answers as one no longer
   * fresh would, and may deliver some of the past a returning child sends (10.1.5).
   */
  #timer: TimerHandle | undefined;
  #over = false;

  /** `expired`: the bound passed with Digests still deferred (`over` is true by then). */
  constructor(clock: Clock, bound: number, expired: () => void) {
    this.#clock = clock;
    this.#bound = bound;
    this.#expired = expired;
  }

  /** Whether the bound passed under the current parent edge: nothing is deferred any more. */
  get over(): boolean {
    return this.#over;
  }

  /** Defers `child`'s Digest, starting the bound if it is not running. */
  defer(child: string, packet: DigestPacket): void {
    this.#digests.set(child, packet);
    if (this.#timer !== undefined) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      // Every Digest deferred went (its child left): a later one gets a bound of its own.
      if (this.#digests.size === 0) return;
      this.#over = true;
      this.#expired();
    }, this.#bound);
  }

  /** The Digests deferred so far, now forgotten here. */
  take(): Array<[string, DigestPacket]> {
    if (this.#digests.size === 0) return [];
    const deferred = [...this.#digests];
    this.#digests.clear();
    return deferred;
  }

  /** `child` left, or turned out version 1: its Digest is not answered. */
  forget(child: string): void {
    this.#digests.delete(child);
  }

  /** The parent edge settled: the bound is not needed. */
  stopBound(): void {
    if (this.#timer === undefined) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The parent edge went: the next one gets a bound of its own. */
  parentGone(): void {
    this.stopBound();
    this.#over = false;
  }

  close(): void {
    this.stopBound();
  }
}
