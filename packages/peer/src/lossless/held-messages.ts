import type { NeighbourRole } from '../events.js';
import type { CachedMessage } from './message-cache.js';

/** Limits of a send queue or of a hold: Messages, and their bytes counted as the cache counts them. */
export interface HoldLimits {
  /** Messages at most (a queue: the stream's `maxQueue`). */
  messages: number;
  /** Their bytes at most (a queue: the stream's `maxQueueBytes`). */
  bytes: number;
}

/** The stream's default per-connection queue limits (16,384 frames, 8 MiB). */
export const DEFAULT_HOLD_LIMITS: Readonly<HoldLimits> = Object.freeze({
  messages: 16_384,
  bytes: 8 * 1_024 * 1_024,
});

/**
 * Room kept in the queue a hold is emptied into for what the exchange sends beside it, besides
 * the cache's entries: the Digest (up to 1,400 entries, about 70 KB) and a few hellos, Joins or
 * acknowledgements.
 */
export const QUEUE_ROOM: Readonly<HoldLimits> = Object.freeze({ messages: 16, bytes: 128 * 1_024 });

/**
 * The bounds of a hold emptied into a send queue of `queue` limits: the exchange queues with it
 * what the other side lacks of the cache (at most all of its `cache` entries and bytes) and the
 * {@link QUEUE_ROOM}, so the hold gets what is left — but the cache is never given more than half
 * of the queue: a cache tuned as large as the queue would otherwise shrink every hold to one
 * Message, and a version-1 neighbour gets nothing but the hold. The hold leaves first in the
 * exchange, so a cache larger than its share only risks cached entries the queue then refuses
 * (counted as send failures). At least one Message (as an empty queue takes one).
 */
export function holdBounds(queue: HoldLimits, cache: HoldLimits): HoldLimits {
  const share = (limit: number, cached: number, room: number): number =>
    Math.max(1, limit - Math.min(cached, Math.floor(limit / 2)) - room);
  return {
    messages: share(queue.messages, cache.messages, QUEUE_ROOM.messages),
    bytes: share(queue.bytes, cache.bytes, QUEUE_ROOM.bytes),
  };
}

/** What is held for one neighbour, in arrival order (docs/protocol.md 10.1.4). */
export interface Hold {
  /** What the neighbour was to this node when the hold began. */
  readonly role: NeighbourRole;
  /** The cache's mark when the hold began. */
  readonly mark: number;
  readonly entries: CachedMessage[];
  bytes: number;
}

/**
 * The Messages owed to neighbours whose edge is being negotiated (10.1.4): not sent until the
 * outcome, and kept here, not only in the cache, so that a burst longer than the cache does not
 * evict them before the exchange or the plain replay sends them. Each hold is bounded so that it
 * fits, with what the exchange sends beside it, the send queue it will be emptied into
 * ({@link holdBounds}); beyond that a Message is refused for that neighbour, as a full queue
 * refuses it.
 */
export class HeldMessages {
  readonly #limits: HoldLimits;
  /** Made with a hold, dropped with the last (most nodes hold nothing once their edges settled). */
  #holds: Map<string, Hold> | undefined;

  constructor(limits: HoldLimits) {
    this.#limits = limits;
  }

  /**
   * Holds for `neighbour`, now `role`, from the cache's `mark` on. A hold already there for the
   * same role goes on as it was (what it holds is still owed); one from the other role is dropped.
   */
  start(neighbour: string, role: NeighbourRole, mark: number): void {
    this.#holds ??= new Map();
    if (this.#holds.get(neighbour)?.role === role) return;
    this.#holds.set(neighbour, { role, mark, entries: [], bytes: 0 });
  }

  /** Whether something is held for `neighbour` (its Messages go to the hold, not to it). */
  has(neighbour: string): boolean {
    return this.#holds?.has(neighbour) === true;
  }

  /** Holds `entry` for `neighbour`; false when there is no hold or it is full. */
  add(neighbour: string, entry: CachedMessage): boolean {
    const hold = this.#holds?.get(neighbour);
    if (hold === undefined) return false;
    const { messages, bytes } = this.#limits;
    // One Message is always taken into an empty hold, however large (as into an empty queue).
    const full =
      hold.entries.length >= messages ||
      (hold.entries.length > 0 && hold.bytes + entry.bytes > bytes);
    if (full) return false;
    hold.entries.push(entry);
    hold.bytes += entry.bytes;
    return true;
  }

  /** Ends the hold of `neighbour` if nothing is in it (nothing for later Messages to wait behind). */
  dropEmpty(neighbour: string): void {
    if (this.#holds?.get(neighbour)?.entries.length === 0) this.take(neighbour);
  }

  /** The hold of `neighbour`, now ended here. */
  take(neighbour: string): Hold | undefined {
    const holds = this.#holds;
    const hold = holds?.get(neighbour);
    if (hold === undefined) return undefined;
    holds?.delete(neighbour);
    if (holds?.size === 0) this.#holds = undefined; // a node's memory after formation counts
    return hold;
  }
}
