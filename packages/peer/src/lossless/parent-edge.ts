import type { TimerHandle } from '../clock.js';
import type { DigestExchange } from './digest-exchange.js';
import type { LosslessVerdict } from './lossless-link.js';
import type { DigestPacket } from './lossless-packets.js';
import type { LosslessState } from './lossless-state.js';
import type { MessageFlood } from './message-flood.js';

export interface ParentEdgeInit {
  /** The bound on the wait for the parent's Digest, ms: one hello interval. */
  helloInterval: number;
  /** A peer starts fresh; the root does not. */
  fresh: boolean;
  /** The most plain Messages kept from a parent being negotiated: the cache's entry limit. */
  maxPlainHeld: number;
  messages: MessageFlood<unknown>;
  exchange: DigestExchange;
  /** The parent edge settled (version 1, or its Digest adopted): the children's wait here ends. */
  settled: () => void;
}

/**
 * Child side, per attachment (docs/protocol.md 10.1.2, 10.1.5): the edge to this node's parent
 * from its probe until it goes: `negotiating` when the probe starts, then the Join, then
 * `answered` or `version1` (so the Digest follows the Join); the plain Messages the parent sends
 * meanwhile; the parent's Digest awaited, then adopted while this node is fresh.
 */
export class ParentEdge {
  readonly #state: LosslessState;
  readonly #helloInterval: number;
  readonly #maxPlainHeld: number;
  readonly #messages: MessageFlood<unknown>;
  readonly #exchange: DigestExchange;
  readonly #settled: () => void;
  /** The parent edge's neighbour, from its negotiation until it goes. */
  #parent: string | undefined;
  /**
   * Whether this node is still owed none of the tree's past: true from the start (a peer) until its
   * parent edge settled, by a parent Digest adopted or by a Message delivered from a version-1
   * parent (10.1.5). A parent edge that goes before either keeps it (the node has been sent
   * nothing, and says `F` under its next parent).
   */
  #fresh: boolean;
  /**
   * Plain Messages from the parent while its edge is being negotiated: delivered (as from a
   * version-1 neighbour) if the outcome is version 1, dropped if lossless (the exchange brings
   * them). Bounded by the cache's entry limit.
   */
  #plainWhileNegotiating: { parent: string; texts: string[] } | undefined;
  /**
   * The wait for the parent's Digest while the parent's hold is not empty, from the probe's
   * outcome on, bounded by the hello interval (#awaitDigest).
   */
  #digestWait: { parent: string; timer: TimerHandle } | undefined;

  constructor(state: LosslessState, init: ParentEdgeInit) {
    this.#state = state;
    this.#helloInterval = init.helloInterval;
    this.#fresh = init.fresh;
    this.#maxPlainHeld = init.maxPlainHeld;
    this.#messages = init.messages;
    this.#exchange = init.exchange;
    this.#settled = init.settled;
  }

  /** Whether this node is a peer on its first attachment (its Digest says `F`). */
  get fresh(): boolean {
    return this.#fresh;
  }

  /**
   * Whether this node is fresh and its parent edge is being negotiated, or lossless with the
   * parent's Digest not in yet: its children's Digests wait (10.1.5).
   */
  get settling(): boolean {
    return (
      this.#fresh && this.#parent !== undefined && this.#state.edges.mode(this.#parent) !== 'v1'
    );
  }

  /** A probe of `parent` starts; Messages for it are held until the outcome. */
  negotiating(parent: string): void {
    const { edges, link, holds, cache } = this.#state;
    this.#stopAwaitingDigest(); // the hold waits for the new outcome first
    this.#parent = parent;
    edges.set(parent, 'parent', 'negotiating');
    link.setWindow(parent, undefined);
    holds.start(parent, 'parent', cache.mark());
  }

  /** The parent answered the offer with these capabilities. */
  answered(parent: string, capabilities: Record<string, number>): void {
    const { edges, link } = this.#state;
    if (capabilities.ids !== 1) {
      this.version1(parent);
      return;
    }
    const theirWindow = capabilities.window ?? 1;
    if (edges.mode(parent) === 'lossless') {
      // Its Digest came first and made the edge lossless: the exchange is done, only the window is new.
      edges.set(parent, 'parent', 'lossless', theirWindow);
      link.setWindow(parent, edges.window(parent));
      return;
    }
    this.lossless(parent, theirWindow);
  }

  /**
   * The parent acknowledged the offer without an answer, closed or ignored the probe.
   * What waited for it during the negotiation goes to it now, as plain Messages in arrival order.
   */
  version1(parent: string): void {
    const { edges, link, holds } = this.#state;
    const held = this.#takePlainHeld(parent);
    if (edges.mode(parent) === 'lossless') return; // its Digest proved it ours
    this.#parent = parent;
    edges.set(parent, 'parent', 'v1');
    link.setWindow(parent, undefined);
    const hold = holds.take(parent);
    if (hold !== undefined) this.#messages.replayPlain(parent, hold);
    // What a version-1 parent flooded while we asked: plain Messages, as they would have been.
    for (const text of held) this.gateway(text, parent);
    // No parent Digest will come: the children's wait here ends.
    this.#settled();
  }

  /**
   * The edge to `parent` is (again) lossless: its window raised, and this node's Digest sent once
   * the Join is. Its hold stays until the exchange sends it (see `HeldMessages`), unless it is empty.
   */
  lossless(parent: string, theirWindow?: number): void {
    const { children, holds, edges, link } = this.#state;
    this.#parent = parent;
    children.end(parent);
    // The hold for the parent waits for the parent's Digest, but an empty one has nothing for
    // later Messages to keep order behind: they go at once, and the exchange repairs from the
    // cache as on any edge (a broadcast right after the Join is not held a round trip longer).
    holds.dropEmpty(parent);
    edges.set(parent, 'parent', 'lossless', theirWindow);
    this.#takePlainHeld(parent); // the exchange that starts now brings them
    link.setWindow(parent, edges.window(parent));
    if (holds.has(parent)) this.#awaitDigest(parent);
    link.send(parent, this.#exchange.digest(this.#fresh), 'digest');
  }

  /** The Digest of `parent` (the parent's role is known): the exchange's other half. */
  digest(packet: DigestPacket, parent: string): void {
    const { edges, holds } = this.#state;
    const mode = edges.mode(parent);
    // An answer to a Digest of an earlier exchange, after we settled on version 1 (and maybe
    // replayed plain Messages, which the parent took as version 1): taking it now would
    // send those Messages a second time, under their own identifiers.
    if (mode === 'v1') return;
    // The parent's answer to our Digest, ahead of our probe's outcome.
    if (mode === 'negotiating') this.lossless(parent);
    const hold = holds.take(parent); // what waited for the parent goes by this exchange
    this.#stopAwaitingDigest();
    if (this.#fresh) {
      this.#fresh = false;
      this.#exchange.adopt(packet);
      this.#settled();
    }
    this.#exchange.repair(packet, parent, hold);
  }

  /**
   * A plain Message from `from` if it is a parent whose edge is lossless or being negotiated: what
   * becomes of it. Undefined for any other sender: the Message is gatewayed as from version 1.
   */
  plain(text: string, from: string): LosslessVerdict | undefined {
    const { edges, link } = this.#state;
    if (edges.role(from) !== 'parent') return undefined;
    const mode = edges.mode(from);
    if (mode === 'lossless') {
      // The parent lost its state (it restarted); the exchange after renegotiating brings this.
      this.negotiating(from);
      link.renegotiate(from);
      return 'plain-on-lossless-edge';
    }
    if (mode === 'negotiating') {
      // Kept until the probe's outcome: a version-1 parent (a reference or extension-off root that
      // floods to a child it placed before the child's Join) would otherwise lose it for good.
      let held = this.#plainWhileNegotiating;
      if (held?.parent !== from) {
        held = { parent: from, texts: [] };
        this.#plainWhileNegotiating = held;
      }
      if (held.texts.length >= this.#maxPlainHeld) return 'plain-on-lossless-edge';
      held.texts.push(text);
      return 'held';
    }
    return undefined;
  }

  /**
   * A plain Message from `from`, delivered and flooded with an identifier of this node; from a
   * version-1 parent, it also tells this node it is in the tree.
   */
  gateway(text: string, from: string): void {
    // Owed repairs from here on (#fresh).
    if (from === this.#parent) this.#fresh = false;
    this.#messages.gateway(text, from);
  }

  /** The plain Messages held for `neighbour`'s negotiation are not needed: it is lossless now. */
  forgetPlainHeld(neighbour: string): void {
    this.#takePlainHeld(neighbour);
  }

  /** `neighbour` is no longer one; whether it was the parent. A fresh node stays fresh (#fresh). */
  gone(neighbour: string): boolean {
    this.#takePlainHeld(neighbour);
    if (this.#parent !== neighbour) return false;
    this.#parent = undefined;
    this.#stopAwaitingDigest();
    return true;
  }

  close(): void {
    this.#stopAwaitingDigest();
  }

  /**
   * The parent edge is lossless and its hold not empty; the hold waits for the parent's Digest,
   * but at most one hello interval (the bound a parent gives a child's Digest,
   * `ChildNegotiations`): that Digest can be lost (a full queue refuses it), and every Message for
   * the parent would join the hold, then be refused, for as long as the edge lasts. Past the bound
   * the hold goes to the parent as the edge's Identified Messages, in order; the parent drops
   * what it has already (its seen-set), and a Digest that still comes repairs from the cache.
   */
  #awaitDigest(parent: string): void {
    const { clock, edges, holds } = this.#state;
    this.#stopAwaitingDigest();
    const timer = clock.setTimeout(() => {
      this.#digestWait = undefined;
      if (this.#parent !== parent || edges.mode(parent) !== 'lossless') return;
      const hold = holds.take(parent);
      if (hold !== undefined) this.#messages.sendHeld(parent, hold);
    }, this.#helloInterval);
    this.#digestWait = { parent, timer };
  }

  #stopAwaitingDigest(): void {
    const wait = this.#digestWait;
    if (wait === undefined) return;
    this.#state.clock.clearTimeout(wait.timer);
    this.#digestWait = undefined;
  }

  /** The plain Messages held for `parent`'s negotiation, now forgotten here. */
  #takePlainHeld(parent: string): string[] {
    const held = this.#plainWhileNegotiating;
    if (held?.parent !== parent) return [];
    this.#plainWhileNegotiating = undefined;
    return held.texts;
  }
}
