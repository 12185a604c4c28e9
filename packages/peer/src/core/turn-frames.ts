import type { Address, OutgoingFrame } from '@p2p/codec';

/**
 * The frames built during one turn, by what each encodes and the source it carries: a flood asks
 * for the same frame once per target, and it is built once.
 */
export class TurnFrames {
  /** This node's address: the source most frames carry, told apart without a string. */
  readonly #self: Address;
  /**
   * The frame built last this turn, by what it encodes and the source it carries. Others built
   * this turn wait in `#frames` (made only when a turn builds more than one).
   */
  #lastKey: unknown;
  #lastSource: unknown;
  #lastFrame: OutgoingFrame | undefined;
  #frames: Map<unknown, Map<unknown, OutgoingFrame>> | undefined;

  constructor(self: Address) {
    this.#self = self;
  }

  /**
   * The frame built this turn for `key` (a received frame, a packet or a text) as sent with
   * `source`, if any. Sources are told apart by address: usually every neighbour gets `self`.
   */
  built(key: unknown, source: Address): OutgoingFrame | undefined {
    const sourceKey = this.#sourceKey(source);
    if (this.#lastFrame !== undefined && this.#lastKey === key && this.#lastSource === sourceKey)
      return this.#lastFrame;
    return this.#frames?.get(key)?.get(sourceKey);
  }

  remember(key: unknown, source: Address, frame: OutgoingFrame): void {
    const sourceKey = this.#sourceKey(source);
    if (this.#lastFrame !== undefined) {
      // A second frame this turn: from now on every frame built is kept by key too.
      this.#frames ??= new Map();
      this.#keep(this.#lastKey, this.#lastSource, this.#lastFrame);
      this.#keep(key, sourceKey, frame);
    }
    this.#lastKey = key;
    this.#lastSource = sourceKey;
    this.#lastFrame = frame;
  }

  /** Forgets them all: the turn ended. */
  clear(): void {
    this.#lastKey = undefined;
    this.#lastSource = undefined;
    this.#lastFrame = undefined;
    this.#frames = undefined;
  }

  #keep(key: unknown, sourceKey: unknown, frame: OutgoingFrame): void {
    const frames = this.#frames as Map<unknown, Map<unknown, OutgoingFrame>>;
    let bySource = frames.get(key);
    if (bySource === undefined) {
      bySource = new Map();
      frames.set(key, bySource);
    }
    bySource.set(sourceKey, frame);
  }

  #sourceKey(source: Address): unknown {
    return source === this.#self ? source : `${source.host}:${source.port}`;
  }
}
