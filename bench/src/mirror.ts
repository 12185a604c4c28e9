import type { NodeLinks } from '@p2p/root-server';
import type { StateEvent } from './host-protocol.js';

interface NodeState {
  registered: boolean;
  parent: string | null;
  children: Set<string>;
}

/**
 * Every node's own view of the tree (registered, parent, children), rebuilt in the main process
 * from the state changes the hosts report, whichever process the node runs in.
 */
export class TreeMirror {
  readonly #nodes = new Map<string, NodeState>();
  /** Clock time of the latest change applied. */
  lastAt = 0;
  onChange: () => void = () => {};

  apply(events: readonly StateEvent[]): void {
    for (const event of events) {
      const node = this.#node(event.address);
      switch (event.type) {
        case 'registered':
          node.registered = true;
          break;
        case 'parent':
          node.parent = event.parent;
          break;
        case 'child-added':
          node.children.add(event.child);
          break;
        case 'child-removed':
          node.children.delete(event.child);
          break;
      }
      if (event.at > this.lastAt) this.lastAt = event.at;
    }
    this.onChange();
  }

  registered(address: string): boolean {
    return this.#nodes.get(address)?.registered === true;
  }

  parentOf(address: string): string | null {
    return this.#nodes.get(address)?.parent ?? null;
  }

  hasChild(address: string, child: string): boolean {
    return this.#nodes.get(address)?.children.has(child) === true;
  }

  /** The node's own view of its links, as `isAttached` reads it. */
  nodeAt(address: string): NodeLinks | undefined {
    return this.#nodes.get(address);
  }

  #node(address: string): NodeState {
    let node = this.#nodes.get(address);
    if (node === undefined) {
      node = { registered: false, parent: null, children: new Set() };
      this.#nodes.set(address, node);
    }
    return node;
  }
}
