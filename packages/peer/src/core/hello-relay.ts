import { type Address, formatAddress, MAX_PATH_ENTRIES, type Packet } from '@p2p/codec';
import type { Clock } from '../clock.js';
import type { DropReason, NodeCounters } from '../events.js';
import type { Neighbours } from './neighbours.js';
import { PendingRelays } from './pending-relays.js';

/** What relaying needs of the node it runs in. */
export interface RelayNode {
  readonly self: Address;
  readonly address: string;
  readonly neighbours: Neighbours;
  readonly counters: NodeCounters;
  send(to: string, packet: Packet): Promise<boolean>;
  drop(reason: DropReason, packet: Packet, from: string): void;
}

/**
 * Reunion hellos up the tree and hello backs down (protocol.md 5.6.2, 5.6.4), as every node below
 * the top relays them, and the hellos relayed for the subtree remembered until their hello back
 * passes down, to relay again once the path up works again (5.6.6, `PendingRelays`).
 */
export class HelloRelay {
  readonly #node: RelayNode;
  readonly #clock: Clock;
  readonly #pending: PendingRelays | undefined;

  /** @param rememberFor how long a relayed hello is kept to relay again (ms); none when undefined. */
  constructor(node: RelayNode, clock: Clock, rememberFor: number | undefined) {
    this.#node = node;
    this.#clock = clock;
    this.#pending = rememberFor === undefined ? undefined : new PendingRelays(rememberFor);
  }

  /**
   * Checks a hello's path as it arrives from `from`: it must come from a child and end with that
   * child, and must not already hold this node. Returns why it is unacceptable, if it is.
   */
  check(path: readonly Address[], from: string): DropReason | undefined {
    if (!this.#node.neighbours.isChild(from)) return 'not-a-neighbour';
    const last = path[path.length - 1];
    if (last === undefined || formatAddress(last) !== from) return 'forged-path';
    const self = this.#node.address;
    if (path.some((entry) => formatAddress(entry) === self)) return 'path-loop';
    return undefined;
  }

  /**
   * A hello from below, before anything else looks at it: kept to relay again if it is one this
   * node would relay, even when it is dropped now (a peer in reunion failure).
   */
  remember(path: readonly Address[], from: string): void {
    if (this.#pending !== undefined && this.check(path, from) === undefined)
      this.#pending.remember(path, this.#clock.now());
  }

  /** A hello from a child: append this node and send it to the parent (5.6.2). */
  up(path: readonly Address[], packet: Packet, from: string): void {
    const node = this.#node;
    const reason = this.check(path, from);
    if (reason !== undefined) {
      node.drop(reason, packet, from);
      return;
    }
    const parent = node.neighbours.parent;
    if (parent === null) {
      node.drop('no-parent', packet, from);
      return;
    }
    if (path.length >= MAX_PATH_ENTRIES) {
      node.drop('path-too-long', packet, from);
      return;
    }
    this.#sendUp(parent, path);
  }

  /**
   * A hello back: strip this node's entry and pass the rest to the new first entry (5.6.4). When
   * this node is the only entry the hello was its own: `answered` is called.
   */
  down(path: readonly Address[], packet: Packet, from: string, answered: () => void): void {
    const node = this.#node;
    const first = path[0];
    if (first === undefined || formatAddress(first) !== node.address) {
      node.drop('not-addressed-to-us', packet, from);
      return;
    }
    if (path.length === 1) {
      answered();
      return;
    }
    this.#pending?.answered(formatAddress(path[path.length - 1] as Address));
    const rest = path.slice(1);
    node.counters.helloBacksRelayed++;
    void node.send(formatAddress(rest[0] as Address), {
      kind: 'reunion-hello-back',
      source: node.self,
      path: rest,
    });
  }

  /** Relays again the hellos from below not answered yet, from children still ours: a new path up works. */
  relayPending(): void {
    const parent = this.#node.neighbours.parent;
    if (parent === null || this.#pending === undefined) return;
    for (const path of this.#pending.waiting(this.#clock.now())) {
      if (path.length >= MAX_PATH_ENTRIES) continue;
      if (!this.#node.neighbours.isChild(formatAddress(path[path.length - 1] as Address))) continue;
      this.#sendUp(parent, path);
    }
  }

  #sendUp(parent: string, path: readonly Address[]): void {
    const node = this.#node;
    node.counters.hellosRelayed++;
    void node.send(parent, {
      kind: 'reunion-hello',
      source: node.self,
      path: [...path, node.self],
    });
  }
}
