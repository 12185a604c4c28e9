import type { EventEmitter } from 'node:events';
import type { Logger } from '@p2p/stream';
import type { Clock } from '../clock.js';
import type { TreeNodeEvents } from '../events.js';
import { SilentChildren } from './silent-children.js';

/** Where a tree node's events go: the role's public object (a `Peer`, a `RootNode`). */
export type TreeEventSink = Pick<EventEmitter<TreeNodeEvents>, 'emit'>;

/**
 * A node's neighbours as the tree core reads and changes them. A peer keeps its own
 * ({@link OwnNeighbours}); the root's children are those its registry graph places under it.
 */
export interface Neighbours {
  readonly parent: string | null;
  /** The children, in the order they came (iterated for every forwarded Message). */
  readonly children: Iterable<string>;
  isChild(address: string): boolean;
  /** A Join from `child` (not this node, not its parent): whether `child` is a child now. */
  join(child: string): boolean;
  /** `child` left, failed or went silent: whether it was a child and is not any more. */
  remove(child: string, reason: string): boolean;
  /** A hello came from the child `child`: it is alive. */
  heard(child: string): void;
  /** Stops timers. */
  close(): void;
}

export interface OwnNeighboursOptions {
  clock: Clock;
  logger: Logger;
  /**
   * Drop a child that has sent or relayed no hello for this long (ms): it left without a Leave
   * reaching us (5.4.1). Default: children are kept until they leave or fail.
   */
  silentChildAfter?: number | undefined;
}

/** A parent and up to any number of children, kept by the node itself (a peer). */
export class OwnNeighbours implements Neighbours {
  #parent: string | null = null;
  readonly #children = new Set<string>();
  readonly #events: TreeEventSink;
  readonly #silent: SilentChildren | undefined;

  constructor(events: TreeEventSink, options: OwnNeighboursOptions) {
    this.#events = events;
    const { silentChildAfter, clock, logger } = options;
    if (silentChildAfter !== undefined) {
      this.#silent = new SilentChildren(clock, (child) => {
        logger.info({ child }, 'no hello from a child for too long, removing it');
        this.remove(child, 'silent');
      });
      this.#silent.expireAfter(silentChildAfter);
    }
  }

  get parent(): string | null {
    return this.#parent;
  }

  get children(): ReadonlySet<string> {
    return this.#children;
  }

  isChild(address: string): boolean {
    return this.#children.has(address);
  }

  join(child: string): boolean {
    this.#silent?.heard(child);
    if (this.#children.has(child)) return true;
    this.#children.add(child);
    this.#events.emit('neighbour-added', { neighbour: child, role: 'child' });
    return true;
  }

  remove(child: string, reason: string): boolean {
    this.#silent?.forget(child);
    if (!this.#children.delete(child)) return false;
    this.#events.emit('neighbour-removed', { neighbour: child, role: 'child', reason });
    return true;
  }

  heard(child: string): void {
    this.#silent?.heard(child);
  }

  /** Sets the parent edge (null removes it), emitting the neighbour and parent events. */
  setParent(parent: string | null, reason = 'replaced'): void {
    const previous = this.#parent;
    if (previous === parent) return;
    if (parent !== null) this.#children.delete(parent);
    this.#parent = parent;
    if (previous !== null)
      this.#events.emit('neighbour-removed', { neighbour: previous, role: 'parent', reason });
    if (parent !== null)
      this.#events.emit('neighbour-added', { neighbour: parent, role: 'parent' });
    this.#events.emit('parent', { parent, previous });
  }

  close(): void {
    this.#silent?.stop();
  }
}
