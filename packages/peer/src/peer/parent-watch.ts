import type { Packet } from '@p2p/codec';
import type { Clock, TimerHandle } from '../clock.js';

/** What the watch needs to know of the peer's attachment. */
export interface WatchedAttachment {
  readonly parent: string | null;
  /** Counts attachments: an acknowledgement for an earlier one says nothing of this parent. */
  readonly attachments: number;
  readonly attached: boolean;
  readonly closed: boolean;
  isRoot(address: string): boolean;
  /** The parent is silent: leave it. */
  silent(): void;
}

/**
 * Watches hellos to the parent (ours and those relayed for the subtree): a parent that has
 * acknowledged nothing for half the peer timeout while a hello waits is silent (stopped, cut
 * off) and is left at once. The nodes below hold hellos lost with it, and their peer timeouts
 * run from about the same moment as ours: we must be back in the tree, relaying them again,
 * well before those end (no second wave). Progress is what counts, not how long a hello
 * queued: a parent that acknowledges frame after frame, only slower than a burst arrives, is
 * healthy. The root, as a parent, may be restarting: its peer timeout decides (5.6.6).
 */
export class ParentWatch {
  readonly #peer: WatchedAttachment;
  readonly #clock: Clock;
  readonly #limit: number;
  /** Hellos (ours and relayed) sent to the parent and not acknowledged yet, oldest first. */
  readonly #unacked = new Set<{ at: number; parent: string; attachment: number }>();
  /** When the parent last acknowledged anything we sent it (this attachment). */
  #lastParentAck = Number.NEGATIVE_INFINITY;
  #timer: TimerHandle | undefined;

  constructor(peer: WatchedAttachment, clock: Clock, peerTimeout: number) {
    this.#peer = peer;
    this.#clock = clock;
    this.#limit = peerTimeout / 2;
  }

  /** A packet sent (not a forwarded Message), and whether it was acknowledged. */
  sending(to: string, packet: Packet, acknowledged: Promise<boolean>): void {
    const peer = this.#peer;
    const attachment = peer.attachments;
    const entry = { at: this.#clock.now(), parent: to, attachment };
    const watched = packet.kind === 'reunion-hello' && to === peer.parent && !peer.isRoot(to);
    if (watched) {
      this.#unacked.add(entry);
      this.#watch();
    }
    void acknowledged.then((sent) => {
      if (sent && to === peer.parent && attachment === peer.attachments)
        this.#lastParentAck = this.#clock.now();
      this.#unacked.delete(entry);
    });
  }

  /** A new parent: nothing acknowledged by it yet. */
  attached(): void {
    this.#lastParentAck = Number.NEGATIVE_INFINITY;
  }

  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The oldest hello still waiting on the current parent, dropping those sent to earlier ones. */
  #oldestUnacked(): { at: number } | undefined {
    const peer = this.#peer;
    for (const entry of this.#unacked) {
      if (entry.attachment === peer.attachments && entry.parent === peer.parent) return entry;
      this.#unacked.delete(entry); // sent to an earlier parent: not this one's silence
    }
    return undefined;
  }

  #watch(): void {
    if (this.#timer !== undefined || this.#peer.closed) return;
    const oldest = this.#oldestUnacked();
    if (oldest === undefined) return;
    const since = Math.max(oldest.at, this.#lastParentAck);
    this.#timer = this.#clock.setTimeout(
      () => {
        this.#timer = undefined;
        const waiting = this.#oldestUnacked();
        if (
          waiting !== undefined &&
          this.#peer.attached &&
          this.#clock.now() - Math.max(waiting.at, this.#lastParentAck) >= this.#limit
        ) {
          this.#unacked.clear();
          this.#peer.silent();
          return;
        }
        this.#watch();
      },
      Math.max(0, since + this.#limit - this.#clock.now()),
    );
  }
}
