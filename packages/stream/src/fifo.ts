/** Slots beyond which an emptied queue lets its buffer go. */
const SHRINK_ABOVE = 64;

/**
 * A first-in first-out queue on a ring buffer that doubles when full. `Array.prototype.shift`
 * copies the array once it is large, and emptying an array by setting its length is a call into
 * the engine's runtime: a queue that a lock-step connection fills and empties once per packet
 * must do neither.
 */
export class Fifo<T> {
  /** A power of two long (or empty); the items are `#length` slots from `#head`, wrapping. */
  #items: (T | undefined)[] = [];
  /** `#items.length - 1`. */
  #mask = -1;
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#items[(this.#head + this.#length) & this.#mask] = item;
    this.#length++;
  }

  /** The oldest item, without removing it. */
  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#items[this.#head];
  }

  /** Removes and returns the oldest item. */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    // A burst's large buffer is not kept for the rest of a quiet connection's life.
    if (--this.#length === 0 && this.#items.length > SHRINK_ABOVE) this.#reset();
    return item;
  }

  /** Removes and returns every item, oldest first. */
  drain(): T[] {
    const items: T[] = [];
    for (let i = 0; i < this.#length; i++)
      items.push(this.#items[(this.#head + i) & this.#mask] as T);
    this.#reset();
    return items;
  }

  #reset(): void {
    this.#items = [];
    this.#mask = -1;
    this.#head = 0;
    this.#length = 0;
  }

  #grow(): void {
    const items = new Array<T | undefined>(Math.max(4, 2 * this.#items.length)).fill(undefined);
    for (let i = 0; i < this.#length; i++) items[i] = this.#items[(this.#head + i) & this.#mask];
    this.#items = items;
    this.#mask = items.length - 1;
    this.#head = 0;
  }
}
