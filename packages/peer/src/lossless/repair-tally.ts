import { formatAddress } from '@p2p/codec';
import type { Clock, TimerHandle } from '../clock.js';
import type { DigestPacket } from './lossless-packets.js';

interface Remembered {
  hwms: Map<string, { epoch: number; hwm: number }>;
  timer: TimerHandle;
}

/**
 * Tells repaired Messages from live ones, for the `repairedIn` counter. A neighbour sends its
 * Digest before any repair (it sends the Digest as soon as it counts the edge lossless, and repairs
 * only once it has ours), so a new Message it sends us that its Digest already counted as
 * delivered there can only be a repair. Each neighbour's Digest is kept for `keepFor` ms.
 */
export class RepairTally {
  readonly #clock: Clock;
  readonly #keepFor: number;
  /** Created with the first Digest remembered. */
  #byNeighbour: Map<string, Remembered> | undefined;
  /**
   * The last lookup of {@link isRepair} and what it found: Messages come in runs from one
   * neighbour and origin, and two map lookups per Message were a tenth of its cost in the
   * extension. Cleared whenever a Digest is remembered or forgotten.
   */
  #lastNeighbour: string | undefined;
  #lastOrigin: string | undefined;
  #lastKnown: { epoch: number; hwm: number } | undefined;

  constructor(clock: Clock, keepFor: number) {
    this.#clock = clock;
    this.#keepFor = keepFor;
  }

  remember(neighbour: string, digest: Pick<DigestPacket, 'entries'>): void {
    this.forget(neighbour);
    if (digest.entries.length === 0) return;
    const hwms = new Map<string, { epoch: number; hwm: number }>();
    for (const { origin, epoch, hwm } of digest.entries)
      hwms.set(formatAddress(origin), { epoch, hwm });
    const timer = this.#clock.setTimeout(() => {
      this.#byNeighbour?.delete(neighbour);
      this.#lastNeighbour = undefined;
    }, this.#keepFor);
    this.#byNeighbour ??= new Map();
    this.#byNeighbour.set(neighbour, { hwms, timer });
    this.#lastNeighbour = undefined;
  }

  /** Whether a new Message from `neighbour` is one it had delivered before the exchange. */
  isRepair(neighbour: string, origin: string, epoch: number, seq: number): boolean {
    const byNeighbour = this.#byNeighbour;
    if (byNeighbour === undefined || byNeighbour.size === 0) return false;
    let known = this.#lastKnown;
    if (neighbour !== this.#lastNeighbour || origin !== this.#lastOrigin) {
      known = byNeighbour.get(neighbour)?.hwms.get(origin);
      this.#lastNeighbour = neighbour;
      this.#lastOrigin = origin;
      this.#lastKnown = known;
    }
    return known !== undefined && known.epoch === epoch && seq <= known.hwm;
  }

  forget(neighbour: string): void {
    const remembered = this.#byNeighbour?.get(neighbour);
    if (remembered === undefined) return;
    this.#clock.clearTimeout(remembered.timer);
    this.#byNeighbour?.delete(neighbour);
    this.#lastNeighbour = undefined;
  }

  close(): void {
    for (const neighbour of [...(this.#byNeighbour?.keys() ?? [])]) this.forget(neighbour);
  }
}
