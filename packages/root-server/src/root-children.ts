import type { Neighbours, TreeEventSink } from '@p2p/peer';
import type { Registry } from './registry/registry.js';

/**
 * The root's children as the tree core sees them: the nodes its registry graph places under it,
 * read from the graph each time (no copy to keep in step). The graph changes only through the
 * registry, by Advertise, a hello that proves a path, a failure or the sweep; the root role makes
 * those changes inside {@link RootChildren.change}, which reports the children that came and went.
 *
 * A Join at the root changes nothing: it is taken from a node the root placed under itself (it is
 * a child already), refused from any other (`join-refused`). Such a Join is stale (an answer to
 * an Advertise the root has since overtaken) or forged; taking it would have the root flood
 * Messages to a node that also gets them from its real parent, for ever (protocol.md 5.4 lets a
 * node refuse Joins the root did not arrange).
 */
export class RootChildren implements Neighbours {
  readonly #registry: Registry;
  readonly #events: TreeEventSink;

  constructor(registry: Registry, events: TreeEventSink) {
    this.#registry = registry;
    this.#events = events;
  }

  get parent(): null {
    return null;
  }

  get children(): string[] {
    return this.#registry.graph.childrenOf(this.#registry.root);
  }

  isChild(address: string): boolean {
    return this.#registry.graph.parentOf(address) === this.#registry.root;
  }

  join(child: string): boolean {
    return this.isChild(child);
  }

  /** Only the registry removes the root's children (the root role turns nodes off there). */
  remove(): boolean {
    return false;
  }

  /** Liveness at the root is the registry's: a hello's path is confirmed there. */
  heard(): void {}

  close(): void {}

  /**
   * Runs a change of the registry and emits `neighbour-added` / `neighbour-removed` (with
   * `reason`) for the root's children it added or removed; returns what the change returned.
   */
  change<T>(reason: string, change: () => T): T {
    const before = this.children;
    try {
      return change();
    } finally {
      // Also when the store failed: the graph may have changed before it did.
      const after = this.children;
      for (const child of before) {
        if (!after.includes(child))
          this.#events.emit('neighbour-removed', { neighbour: child, role: 'child', reason });
      }
      for (const child of after) {
        if (!before.includes(child))
          this.#events.emit('neighbour-added', { neighbour: child, role: 'child' });
      }
    }
  }
}
