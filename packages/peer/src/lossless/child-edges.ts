import type { DeferredDigests } from './deferred-digests.js';
import type { DigestExchange } from './digest-exchange.js';
import type { EdgeMode } from './edge-modes.js';
import type { DigestPacket } from './lossless-packets.js';
import type { LosslessState } from './lossless-state.js';
import type { MessageFlood } from './message-flood.js';
import type { ParentEdge } from './parent-edge.js';

export interface ChildEdgesParts {
  /** The children's Digests deferred while this node is fresh; their bound ends in `answerDeferred`. */
  deferred: DeferredDigests;
  messages: MessageFlood<unknown>;
  exchange: DigestExchange;
  parentEdge: ParentEdge;
}

/**
 * Parent side (docs/protocol.md 10.1.2 item 5, 10.1.5): each child's edge, from its offer or Join:
 * its Digest awaited (only a child that found the extension sends one), answered, or deferred while
 * this node is fresh; a child found to be version 1, and one whose Digest came late.
 */
export class ChildEdges {
  readonly #state: LosslessState;
  readonly #deferred: DeferredDigests;
  readonly #messages: MessageFlood<unknown>;
  readonly #exchange: DigestExchange;
  readonly #parentEdge: ParentEdge;
  /**
   * For each child whose Digest did not come within the bound, the cache's mark when its hold
   * began. A Digest that comes later still (10.1.2 item 5) means the child dropped the plain
   * copies sent meanwhile: to a fresh child they are not its past, so its hold starts again from
   * that mark (`digest`). Forgotten with the child, or when it turns out version 1.
   */
  #silentSince: Map<string, number> | undefined;

  /** `state.children`: the children whose Digest is awaited (their timeouts come to `silent`, wired by `Lossless`). */
  constructor(state: LosslessState, parts: ChildEdgesParts) {
    this.#state = state;
    this.#deferred = parts.deferred;
    this.#messages = parts.messages;
    this.#exchange = parts.exchange;
    this.#parentEdge = parts.parentEdge;
  }

  /**
   * An offer from `from`, answered by the transport. Remembered for its Join; from a current child
   * not on a lossless edge, that edge waits for the child's Digest (10.1.2 item 5).
   */
  offer(
    from: string,
    capabilities: Record<string, number>,
  ): 'negotiating' | 'lossless' | 'remembered' | 'ignored' {
    if (capabilities.ids !== 1) return 'ignored';
    const outcome = this.#state.edges.offered(from, capabilities.window ?? 1);
    if (outcome === 'negotiating') this.#negotiating(from);
    return outcome;
  }

  /**
   * `child` joined, or was put back from the root's graph. If it offered, the edge waits for its
   * Digest (which only a child that found the extension sends); else version 1.
   */
  joined(child: string): EdgeMode {
    const mode = this.#state.edges.childJoined(child);
    if (mode === 'negotiating') this.#negotiating(child);
    else if (mode === 'v1') this.#version1(child);
    return mode;
  }

  /**
   * The edge to `child` is (again) lossless: its window raised, this node's Digest sent to it
   * (unless this fresh node defers its children's Digests: then with the answer, later).
   */
  lossless(child: string, theirWindow?: number): void {
    this.#edgeLossless(child, theirWindow);
    // A child's Digest a fresh node defers is answered later (answerDeferred).
    if (this.#defers()) return;
    this.#state.link.send(child, this.#exchange.digest(false), 'digest');
  }

  /** The Digest of `child`: it found the extension (only our nodes send Digests). */
  digest(packet: DigestPacket, child: string): void {
    const { edges, holds } = this.#state;
    // The edge is lossless, whatever we held it to be, and our Digest answers its own.
    const mode = edges.mode(child);
    const silentSince = this.#silentSince?.get(child);
    if (silentSince !== undefined) {
      this.#silentSince?.delete(child);
      // Late: what went plain since its hold began the child dropped (#silentSince).
      if (mode === 'v1') holds.start(child, 'child', silentSince);
    }
    if (mode !== 'lossless') this.#edgeLossless(child);
    if (this.#defers()) {
      // Answered once this fresh node has its parent's marks (DeferredDigests); its hold takes
      // what comes for it until then.
      this.#deferred.defer(child, packet);
      return;
    }
    this.#exchange.answer(child, packet);
  }

  /** A plain Message from `from`, not a parent being negotiated nor on a lossless edge. */
  plain(from: string): void {
    const { edges } = this.#state;
    if (edges.mode(from) !== 'v1') {
      // A child that offered but sends plain Messages found no extension (its probe failed), or
      // came back without it: version 1, and what waited for it (its Digest awaited or deferred)
      // goes now.
      this.#deferred.forget(from);
      this.#version1(from);
    }
    if (edges.role(from) === 'child') this.#silentSince?.delete(from); // version 1 for sure
  }

  /** `child` sent no Digest within the bound (`ChildNegotiations`): version 1, until one comes. */
  silent(child: string): void {
    const mark = this.#version1(child);
    if (mark === undefined) return;
    this.#silentSince ??= new Map();
    this.#silentSince.set(child, mark);
  }

  /** The parent edge settled: the children's Digests deferred so far are answered now. */
  parentSettled(): void {
    this.#deferred.stopBound();
    this.answerDeferred();
  }

  /** The children's Digests deferred so far, answered now (our Digest, then what each lacks). */
  answerDeferred(): void {
    const { edges } = this.#state;
    if (this.#defers()) return;
    for (const [child, packet] of this.#deferred.take()) {
      if (edges.role(child) !== 'child' || edges.mode(child) !== 'lossless') continue;
      this.#exchange.answer(child, packet);
    }
  }

  /** `neighbour` is no longer one; `parentGone`, it was the parent. */
  gone(neighbour: string, parentGone: boolean): void {
    if (parentGone) this.#deferred.parentGone();
    this.#deferred.forget(neighbour);
    this.#silentSince?.delete(neighbour);
  }

  /** Whether a child's Digest waits: this node is fresh and its parent edge unsettled (10.1.5). */
  #defers(): boolean {
    return !this.#deferred.over && this.#parentEdge.settling;
  }

  /** The edge to `child` is lossless: its window raised; no Digest sent. */
  #edgeLossless(child: string, theirWindow?: number): void {
    const { children, edges, link } = this.#state;
    children.end(child);
    edges.set(child, 'child', 'lossless', theirWindow);
    this.#parentEdge.forgetPlainHeld(child);
    link.setWindow(child, edges.window(child));
  }

  /**
   * `child`'s edge waits for its Digest; Messages for it are held. A child whose Digest was late
   * offers again (it dropped a plain copy on its lossless edge): its hold goes on from where the
   * late one began (#silentSince).
   */
  #negotiating(child: string): void {
    const { link, children, holds, cache } = this.#state;
    link.setWindow(child, undefined);
    children.start(child);
    const since = this.#silentSince?.get(child);
    this.#silentSince?.delete(child);
    holds.start(child, 'child', since ?? cache.mark());
  }

  /**
   * `child` is version 1 (its Join came without an offer, or it sent no Digest, 10.1.2 item 5),
   * and what was held for it goes plain; the mark its hold began at, if any.
   */
  #version1(child: string): number | undefined {
    const { children, edges, link, holds } = this.#state;
    children.end(child);
    edges.set(child, 'child', 'v1');
    link.setWindow(child, undefined);
    const hold = holds.take(child);
    if (hold !== undefined) this.#messages.replayPlain(child, hold);
    return hold?.mark;
  }
}
