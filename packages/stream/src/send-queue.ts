import type { Settlement } from './settle.js';

/** Slots beyond which an emptied queue lets its buffers go. */
const SHRINK_ABOVE = 64;

/**
 * A first-in first-out queue of sends — each a frame, who learns how it ended, and when it was
 * written — kept in three parallel ring buffers that double when full. No object per send (nor a
 * boxed number for its time: an array of numbers keeps them unboxed): with a large window tens of
 * thousands of sends are in flight at once, and each object among them would be copied by every
 * collection of the young generation it lives through. Nor
 * `Array.prototype.shift` (it copies a large array) nor emptying by setting `length` (a call into
 * the engine's runtime): a lock-step connection fills and empties its queue once per packet.
 */
export class SendQueue {
  /** A power of two long (or empty), each; the sends are `#length` slots from `#head`, wrapping. */
  #frames: (Uint8Array | undefined)[] = [];
  #settlements: Settlement[] = [];
  #sentAt: number[] = [];
  #mask = -1;
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** The oldest send's frame, if any. */
  get headFrame(): Uint8Array | undefined {
    return this.#length === 0 ? undefined : this.#frames[this.#head];
  }

  /** When the oldest send was written (0 if it was not, or the queue is empty). */
  get headSentAt(): number {
    return this.#length === 0 ? 0 : (this.#sentAt[this.#head] as number);
  }

  push(frame: Uint8Array, settlement: Settlement, sentAt = 0): void {
    if (this.#length > this.#mask) this.#grow();
    const slot = (this.#head + this.#length) & this.#mask;
    this.#frames[slot] = frame;
    this.#settlements[slot] = settlement;
    this.#sentAt[slot] = sentAt;
    this.#length++;
  }

  /** Removes the oldest send; returns who learns how it ended. Call only when not empty. */
  shift(): Settlement {
    const head = this.#head;
    const settlement = this.#settlements[head];
    this.#frames[head] = undefined;
    this.#settlements[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    // A burst's large buffers are not kept for the rest of a quiet connection's life.
    if (--this.#length === 0 && this.#frames.length > SHRINK_ABOVE) this.#reset();
    return settlement;
  }

  /** Moves the oldest send to the end of `to`, written at `sentAt`; returns its frame. Not empty. */
  moveHeadTo(to: SendQueue, sentAt: number): Uint8Array {
    const frame = this.#frames[this.#head] as Uint8Array;
    to.push(frame, this.shift(), sentAt);
    return frame;
  }

  /** Removes every send; returns who learns how each ended, oldest first. */
  drain(): Settlement[] {
    const settlements: Settlement[] = [];
    for (let i = 0; i < this.#length; i++)
      settlements.push(this.#settlements[(this.#head + i) & this.#mask]);
    this.#reset();
    return settlements;
  }

  #reset(): void {
    this.#frames = [];
    this.#settlements = [];
    this.#sentAt = [];
    this.#mask = -1;
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const size = Math.max(4, 2 * this.#frames.length);
    const frames = new Array<Uint8Array | undefined>(size).fill(undefined);
    const settlements = new Array<Settlement>(size).fill(undefined);
    const sentAt = new Array<number>(size).fill(0);
    for (let i = 0; i < this.#length; i++) {
      const from = (this.#head + i) & this.#mask;
      frames[i] = this.#frames[from];
      settlements[i] = this.#settlements[from];
      sentAt[i] = this.#sentAt[from] as number;
    }
    this.#frames = frames;
    this.#settlements = settlements;
    this.#sentAt = sentAt;
    this.#mask = size - 1;
    this.#head = 0;
  }
}
