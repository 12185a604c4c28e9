import type { GraphNode } from './graph-node.js';

/**
 * Live nodes ordered by when they were last heard from, oldest first: a doubly linked list kept
 * on the nodes themselves. Since hellos arrive with a non-decreasing clock, a refresh moves the
 * node to the newest end in O(1), and a sweep only looks at the nodes that have expired. A clock
 * that goes backwards is still handled correctly: the node walks back from the newest end to its
 * place (O(distance)).
 *
 * @internal
 */
export class RecencyList {
  #oldest: GraphNode | null = null;
  #newest: GraphNode | null = null;

  /** The node heard from longest ago, or null. */
  get oldest(): GraphNode | null {
    return this.#oldest;
  }

  /** Sets `node.lastSeen` and moves (or adds) the node to its place in the list. */
  touch(node: GraphNode, lastSeen: number): void {
    if (node.listed) this.remove(node);
    node.lastSeen = lastSeen;
    // Walk back from the newest end past nodes heard from later (only when the clock went back).
    let after = this.#newest;
    while (after !== null && after.lastSeen > lastSeen) after = after.older;
    node.older = after;
    if (after === null) {
      node.newer = this.#oldest;
      this.#oldest = node;
    } else {
      node.newer = after.newer;
      after.newer = node;
    }
    if (node.newer === null) this.#newest = node;
    else node.newer.older = node;
    node.listed = true;
  }

  /** Removes `node` (no-op when absent). */
  remove(node: GraphNode): void {
    if (!node.listed) return;
    if (node.older === null) this.#oldest = node.newer;
    else node.older.newer = node.newer;
    if (node.newer === null) this.#newest = node.older;
    else node.newer.older = node.older;
    node.older = null;
    node.newer = null;
    node.listed = false;
  }
}
