import type { Clock } from '../clock.js';
import { PeerError } from '../errors.js';

/** A sustained rate with a burst allowance. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** Messages a neighbour may send us by default: far above chat traffic, far below a flood. */
export const defaultMessageRate: Readonly<RateLimit> = Object.freeze({
  perSecond: 5_000,
  burst: 10_000,
});

/**
 * Token buckets, one per key (a neighbour), refilled from the injected clock. Buckets of keys not
 * seen for a while are dropped so that the map stays as small as the set of active neighbours.
 */
export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #clock: Clock;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  /**
   * The last key taken for and its bucket: a node's Messages mostly come from one neighbour in a
   * row (its parent in a flood), and the key is then the very same string, so this spares a map
   * lookup per Message.
   */
  #lastKey: string | undefined;
  #lastBucket: { tokens: number; at: number } | undefined;

  constructor(limit: RateLimit, clock: Clock) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) {
      throw new PeerError(
        'ERR_PEER_INVALID_OPTIONS',
        `a rate limit needs perSecond > 0 and burst >= 1, got ${JSON.stringify(limit)}`,
      );
    }
    this.#limit = limit;
    this.#clock = clock;
  }

  /** Takes one token for `key`; false when its bucket is empty (the packet is over the limit). */
  take(key: string): boolean {
    const now = this.#clock.now();
    const bucket = key === this.#lastKey ? this.#lastBucket : this.#buckets.get(key);
    if (bucket === undefined) {
      // The remembered bucket may be pruned here; it is replaced by this key's just below.
      if (this.#buckets.size >= 4_096) this.#prune(now);
      const made = { tokens: this.#limit.burst - 1, at: now };
      this.#buckets.set(key, made);
      this.#lastKey = key;
      this.#lastBucket = made;
      return true;
    }
    this.#lastKey = key;
    this.#lastBucket = bucket;
    bucket.tokens = Math.min(
      this.#limit.burst,
      bucket.tokens + ((now - bucket.at) * this.#limit.perSecond) / 1_000,
    );
    bucket.at = now;
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** Forgets buckets that have refilled completely: they hold no state worth keeping. */
  #prune(now: number): void {
    const full = (this.#limit.burst * 1_000) / this.#limit.perSecond;
    for (const [key, bucket] of this.#buckets)
      if (now - bucket.at >= full) this.#buckets.delete(key);
  }
}
