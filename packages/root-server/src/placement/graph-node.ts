/**
 * One node of the root's tree graph. Internal to the placement code: the open-node heap and the
 * recency list keep their links on the node itself (intrusive), so that a registered node costs a
 * single object and every update is a few field writes.
 *
 * @internal
 */
export class GraphNode {
  readonly key: string;
  /** Parent in the tree; null for the root and for every node not in the tree. */
  parent: GraphNode | null = null;
  /** First live child, in order of attachment. */
  first: GraphNode | null = null;
  /** Second live child; only set when `first` is. */
  second: GraphNode | null = null;
  /** In the tree (connected to the root); false for registered nodes that are turned off. */
  alive = false;
  /**
   * Cut off from the tree with its subtree kept whole, waiting for its top to re-attach (its
   * parent failed): links to its children (and, below the top, to its parent) are kept.
   */
  detached = false;
  /** For the top of a detached subtree: when it was cut off (ms, caller's clock). */
  detachedAt = 0;
  /** Distance from the root; -1 when not in the tree. */
  depth = -1;
  /** Sequence number of the node's latest placement: the tie-break within a depth. */
  order = 0;
  /** When the node was last heard from (ms, caller's clock). */
  lastSeen = 0;
  /** Position in the open-node heap; -1 when not open. */
  heapIndex = -1;
  /** Recency list links (older = heard from earlier); only meaningful while `listed`. */
  older: GraphNode | null = null;
  newer: GraphNode | null = null;
  listed = false;
  /**
   * Set when the node asked again and was sent back under its parent (5.3.2), cleared when a hello
   * through it proves that parent alive: asking again before that means the parent is gone.
   */
  sentBack = false;
  /**
   * Failed because the root's connection to it failed: its hellos still in flight prove nothing
   * now, so no hello re-attaches it; it comes back by asking again (cleared by a placement).
   */
  unreachable = false;
  /** The parent the node had when it was last turned off: excluded from its next placement. */
  lastParent: GraphNode | null = null;

  constructor(key: string) {
    this.key = key;
  }

  /** Number of live children (0–2). */
  get childCount(): number {
    return this.first === null ? 0 : this.second === null ? 1 : 2;
  }
}

/**
 * Visits `top` and every node below it, breadth-first, `top` first (the one walk of the placement
 * code). A node's children are read after its visit, so a visit may link children to it (as
 * restoring does); a visit that returns false keeps its children out of the walk.
 */
export function walkBreadthFirst(
  top: GraphNode,
  visit: (node: GraphNode, index: number) => unknown,
): void {
  const queue: GraphNode[] = [top];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i] as GraphNode;
    if (visit(node, i) === false) continue;
    if (node.first !== null) queue.push(node.first);
    if (node.second !== null) queue.push(node.second);
  }
}

/** `top` and every node below it, breadth-first. */
export function subtreeNodes(top: GraphNode): GraphNode[] {
  const out: GraphNode[] = [];
  walkBreadthFirst(top, (node) => {
    out.push(node);
  });
  return out;
}
