import type { NeighbourRole } from '../events.js';
import { ChildEdges } from './child-edges.js';
import { DeferredDigests } from './deferred-digests.js';
import { DigestExchange } from './digest-exchange.js';
import type { EdgeMode, EdgeModes } from './edge-modes.js';
import type { Hold } from './held-messages.js';
import type {
  LosslessCounters,
  LosslessInit,
  LosslessLink,
  LosslessVerdict,
  PlainMessagePacket,
} from './lossless-link.js';
import { type LosslessOptions, resolveLosslessOptions } from './lossless-options.js';
import type { DigestPacket, IdentifiedMessagePacket } from './lossless-packets.js';
import { type LosslessState, losslessState } from './lossless-state.js';
import { MessageFlood } from './message-flood.js';
import { ParentEdge } from './parent-edge.js';

/**
 * The lossless extension of one node (docs/protocol.md 10.1): identifiers for what it
 * originates or gateways, the seen-set and in-order delivery, the cache, the per-edge modes and the
 * digest exchange. It owns no socket: the tree core hands it what arrives and tells it when edges
 * change, and it answers through {@link LosslessLink}. It composes the parts and routes to them:
 * the Messages ({@link MessageFlood}), the exchange ({@link DigestExchange}), the edge to the
 * parent ({@link ParentEdge}) and those to the children ({@link ChildEdges}).
 *
 * Child side, per attachment: `onParentNegotiating` when the probe starts, then the Join, then
 * `onParentAnswered` or `onParentVersion1` (so the Digest follows the Join). Parent side:
 * `onOffer` for each offer, `onChildJoined` for each Join or child put back; the child's Digest
 * (or its silence) then decides the edge. Either side: `onEdgeGone` when a neighbour stops being one.
 */
export class Lossless<R = void> {
  readonly options: Readonly<LosslessOptions>;
  readonly epoch: number;
  readonly edges: EdgeModes;
  readonly counters: LosslessCounters = {
    duplicates: 0,
    skipped: 0,
    repairedIn: 0,
    repairedOut: 0,
    inheritedIn: 0,
    inheritedOut: 0,
    gatewayed: 0,
  };
  /** The stores, the link and the edges' state every part works on. */
  readonly #state: LosslessState<R>;
  readonly #deferred: DeferredDigests;
  readonly #messages: MessageFlood<R>;
  readonly #exchange: DigestExchange;
  readonly #parentEdge: ParentEdge;
  readonly #childEdges: ChildEdges;

  constructor(init: LosslessInit<R>) {
    this.options = resolveLosslessOptions(init.timings, init.options);
    this.epoch = init.epoch ?? Date.now();
    // The callbacks below reach parts made after them: none runs before the constructor returns
    // (they answer Messages, timers and Digests, none of which can come during it).
    const state = losslessState(init, this.options, this.epoch, this.counters, {
      deliver: (message) => this.#messages.deliver(message),
      childSilent: (child) => this.#childEdges.silent(child),
    });
    const { helloInterval } = init.timings;
    const messages = new MessageFlood(state, this.options);
    const exchange = new DigestExchange(state, messages);
    const deferred = new DeferredDigests(state.clock, helloInterval, () =>
      this.#childEdges.answerDeferred(),
    );
    const parentEdge = new ParentEdge(state, {
      helloInterval,
      fresh: init.fresh ?? true,
      maxPlainHeld: this.options.cacheEntries,
      messages,
      exchange,
      settled: () => this.#childEdges.parentSettled(),
    });
    this.edges = state.edges;
    this.#state = state;
    this.#messages = messages;
    this.#exchange = exchange;
    this.#deferred = deferred;
    this.#parentEdge = parentEdge;
    this.#childEdges = new ChildEdges(state, { deferred, messages, exchange, parentEdge });
  }

  /** Whether this node is a peer on its first attachment (its Digest says `F`). */
  get fresh(): boolean {
    return this.#parentEdge.fresh;
  }

  /** What the cache and the records hold now, for metrics. */
  get usage(): { cachedMessages: number; cachedBytes: number; origins: number } {
    return {
      cachedMessages: this.#state.cache.size,
      cachedBytes: this.#state.cache.bytes,
      origins: this.#state.records.size,
    };
  }

  /** How a Message goes to `neighbour` now. */
  forwardPlan(neighbour: string): 'identified' | 'plain' | 'hold' {
    const mode = this.edges.mode(neighbour);
    return mode === 'lossless' ? 'identified' : mode === 'v1' ? 'plain' : 'hold';
  }

  /** Numbers, caches and floods a Message of this node; the results of each send, by neighbour. */
  originate(text: string): { seq: number; sent: Array<{ to: string; result: R }> } {
    return this.#messages.originate(text);
  }

  /**
   * A packet of the extension, or a plain Message, from the neighbour `from`; `textBytes`, the
   * UTF-8 length of an Identified Message's text when the caller knows it (else it is counted).
   */
  receive(
    packet: IdentifiedMessagePacket | DigestPacket | PlainMessagePacket,
    from: string,
    textBytes?: number,
  ): LosslessVerdict {
    switch (packet.kind) {
      case 'identified-message':
        return this.#messages.receive(packet, from, textBytes);
      case 'digest':
        if ((this.edges.role(from) ?? 'child') === 'child') this.#childEdges.digest(packet, from);
        else this.#parentEdge.digest(packet, from);
        return 'digest';
      case 'message':
        return this.#onPlain(packet.text, from);
    }
  }

  /**
   * The edge to `neighbour` is (again) lossless: raise its window and send it this node's Digest
   * (to a parent: once the Join is sent; to a child: in answer to its Digest).
   */
  onEdgeLossless(neighbour: string, role: NeighbourRole, theirWindow?: number): void {
    if (role === 'parent') this.#parentEdge.lossless(neighbour, theirWindow);
    else this.#childEdges.lossless(neighbour, theirWindow);
  }

  /** Child side: a probe of `parent` starts; Messages for it are held until the outcome. */
  onParentNegotiating(parent: string): void {
    this.#parentEdge.negotiating(parent);
  }

  /** Child side: the parent answered the offer with these capabilities. */
  onParentAnswered(parent: string, capabilities: Record<string, number>): void {
    this.#parentEdge.answered(parent, capabilities);
  }

  /**
   * Child side: the parent acknowledged the offer without an answer, closed or ignored the probe.
   * What waited for it during the negotiation goes to it now, as plain Messages in arrival order.
   */
  onParentVersion1(parent: string): void {
    this.#parentEdge.version1(parent);
  }

  /**
   * Parent side: an offer from `from`, answered by the transport. Remembered for its Join; from a
   * current child not on a lossless edge, that edge waits for the child's Digest (10.1.2 item 5).
   */
  onOffer(
    from: string,
    capabilities: Record<string, number>,
  ): 'negotiating' | 'lossless' | 'remembered' | 'ignored' {
    return this.#childEdges.offer(from, capabilities);
  }

  /**
   * Parent side: `child` joined, or was put back from the root's graph. If it offered, the edge
   * waits for its Digest (which only a child that found the extension sends); else version 1.
   */
  onChildJoined(child: string): EdgeMode {
    return this.#childEdges.joined(child);
  }

  /** `neighbour` is no longer one: its mode and window are forgotten. */
  onEdgeGone(neighbour: string): void {
    const parentGone = this.#parentEdge.gone(neighbour);
    this.#childEdges.gone(neighbour, parentGone);
    this.edges.forget(neighbour);
    this.#state.children.end(neighbour);
    this.#state.holds.take(neighbour);
    this.#state.repairs.forget(neighbour);
    this.#state.link.setWindow(neighbour, undefined);
    // No parent Digest will come for the children waiting here: they are answered now.
    if (parentGone) this.#childEdges.answerDeferred();
  }

  /** This node's Digest: its own run first, then the origins most recently heard of. */
  digest(fresh = false, held?: Hold): DigestPacket {
    return this.#exchange.digest(fresh, held);
  }

  /** Stops the timers (cache age, gaps, repair tally, the waits for Digests). */
  close(): void {
    this.#state.cache.close();
    this.#state.records.close();
    this.#state.repairs.close();
    this.#state.children.close();
    this.#parentEdge.close();
    this.#deferred.close();
  }

  /** A plain Message: the parent's while its edge is lossless or negotiated, else gatewayed. */
  #onPlain(text: string, from: string): LosslessVerdict {
    const verdict = this.#parentEdge.plain(text, from);
    if (verdict !== undefined) return verdict;
    this.#childEdges.plain(from);
    this.#parentEdge.gateway(text, from);
    return 'new';
  }
}
