import type { Settlement } from './settle.js';

/** Slots beyond which an emptied queue lets its buffers go. */
const SHRINK_ABOVE = 64;

/**
 * A first-in first-out queue of sends — each a frame and who learns how it ended, and in a `timed`
 * queue when it was written — on ring buffers that double when full: frames and settlements
 * interleaved in one, the times (a timed queue only) in another. No object per send, nor a boxed
 * number for its time (an array of numbers keeps them unboxed): with a large window tens of
 * thousands of sends are in flight at once, and each object among them would be copied by every
 * collection of the young generation it lives through. Nor `Array.prototype.shift` (it copies a
 * large array) nor emptying by setting `length` (a call into the engine's runtime): a lock-step
 * connection fills and empties its queue once per packet.
 */
export class SendQueue {
  readonly #timed: boolean;
  /** Send i (from the head) is at slots 2i and 2i + 1, wrapping: its frame, then its settlement. */
  #items: (Uint8Array | Settlement)[] = [];
  /** A timed queue's write times, one slot per send. */
  #sentAt: number[] = [];
  /** Sends the buffers hold at most, a power of two (or 0), less one. */
  #mask = -1;
  #head = 0;
  #length = 0;

  /** `timed`: the queue keeps when each send was written (`push`'s `sentAt`, `headSentAt`). */
  constructor(timed = false) {
    this.#timed = timed;
  }

  get length(): number {
    return this.#length;
  }

  /** The oldest send's frame, if any. */
  get headFrame(): Uint8Array | undefined {
    return this.#length === 0 ? undefined : (this.#items[2 * this.#head] as Uint8Array);
  }

  /** When the oldest send was written (0 if the queue is not timed, or empty). */
  get headSentAt(): number {
    return this.#length === 0 || !this.#timed ? 0 : (this.#sentAt[this.#head] as number);
  }

  push(frame: Uint8Array, settlement: Settlement, sentAt = 0): void {
    if (this.#length > this.#mask) this.#grow();
    const slot = (this.#head + this.#length) & this.#mask;
    this.#items[2 * slot] = frame;
    this.#items[2 * slot + 1] = settlement;
    if (this.#timed) this.#sentAt[slot] = sentAt;
    this.#length++;
  }

  /** Removes the oldest send; returns who learns how it ended. Call only when not empty. */
  shift(): Settlement {
    const head = this.#head;
    const settlement = this.#items[2 * head + 1] as Settlement;
    this.#items[2 * head] = undefined;
    this.#items[2 * head + 1] = undefined;
    this.#head = (head + 1) & this.#mask;
    // A burst's large buffers are not kept for the rest of a quiet connection's life.
    if (--this.#length === 0 && this.#mask >= SHRINK_ABOVE) this.#reset();
    return settlement;
  }

  /** Moves the oldest send to the end of `to`, written at `sentAt`; returns its frame. Not empty. */
  moveHeadTo(to: SendQueue, sentAt: number): Uint8Array {
    const frame = this.#items[2 * this.#head] as Uint8Array;
    to.push(frame, this.shift(), sentAt);
    return frame;
  }

  /** Removes every send; returns who learns how each ended, oldest first. */
  drain(): Settlement[] {
    const settlements: Settlement[] = [];
    for (let i = 0; i < this.#length; i++)
      settlements.push(this.#items[2 * ((this.#head + i) & this.#mask) + 1] as Settlement);
    this.#reset();
    return settlements;
  }

  #reset(): void {
    this.#items = [];
    this.#sentAt = [];
    this.#mask = -1;
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const size = Math.max(4, 2 * (this.#mask + 1));
    const items = new Array<Uint8Array | Settlement>(2 * size).fill(undefined);
    const sentAt = this.#timed ? new Array<number>(size).fill(0) : this.#sentAt;
    for (let i = 0; i < this.#length; i++) {
      const from = (this.#head + i) & this.#mask;
      items[2 * i] = this.#items[2 * from];
      items[2 * i + 1] = this.#items[2 * from + 1];
      if (this.#timed) sentAt[i] = this.#sentAt[from] as number;
    }
    this.#items = items;
    this.#sentAt = sentAt;
    this.#mask = size - 1;
    this.#head = 0;
  }
}
