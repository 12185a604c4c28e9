import type { Framing } from '@p2p/codec';

/** Default number of remotes whose framing is remembered. */
export const DEFAULT_FRAMING_MEMORY_SIZE = 50_000;

/**
 * Which framing each remote node last used toward us (protocol.md 2.3), keyed by the normalised
 * `'HOST:PORT'` of packet sources. Bounded as an LRU: a Map keeps insertion order, so refreshing an
 * entry moves it to the end and the first entry is the least recently heard from. A forgotten
 * remote is simply answered in the default framing until it speaks again.
 */
export class FramingMemory {
  readonly #capacity: number;
  readonly #entries = new Map<string, Framing>();

  constructor(capacity = DEFAULT_FRAMING_MEMORY_SIZE) {
    this.#capacity = capacity;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Records that `key` just used `framing`. */
  remember(key: string, framing: Framing): void {
    this.#entries.delete(key);
    this.#entries.set(key, framing);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }

  /** The framing `key` last used, if remembered. */
  get(key: string): Framing | undefined {
    return this.#entries.get(key);
  }
}
