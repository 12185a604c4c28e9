import type { Packet } from '@p2p/codec';
import type { Clock } from '../clock.js';

/**
 * How long our parent has gone without a hello or Join from us: a parent drops a child silent for
 * the peer timeout plus a hello interval (5.4.1, `SilentChildren`). A live peer is never that
 * quiet, unless its process stood still (stopped, suspended, starved) with no hello outstanding.
 * Once resumed it would send a hello the parent drops (not its child any more) and wait a whole
 * peer timeout for the answer, missing every Message, while the root may still show it in place
 * (a root restarted on its store restores it). Past that limit the peer fails over at once.
 */
export class OwnSilence {
  readonly #clock: Clock;
  readonly #limit: number;
  #lastSentAt: number | null = null;

  /** @param limit the parent's patience with a silent child (peer timeout + hello interval). */
  constructor(clock: Clock, limit: number) {
    this.#clock = clock;
    this.#limit = limit;
  }

  /** A packet sent to `to`; `parent` is the current parent. What the parent counts as hearing from us. */
  sending(to: string, packet: Packet, parent: string | null): void {
    if (to === parent && (packet.kind === 'reunion-hello' || packet.kind === 'join'))
      this.#lastSentAt = this.#clock.now();
  }

  /** The parent has had nothing from us for longer than it keeps a silent child. */
  get exceeded(): boolean {
    return this.#lastSentAt !== null && this.#clock.now() - this.#lastSentAt >= this.#limit;
  }
}
