import { GraphNode, walkBreadthFirst } from './graph-node.js';
import type { TreeStructure } from './tree-structure.js';

/** A persisted position to rebuild the graph from (the shape of `TreeNodeView`). */
export interface RestoreEntry {
  address: string;
  parent: string | null;
  alive: boolean;
  lastSeen: number;
}

/**
 * Replaces the whole graph with persisted positions: see `TreeGraph.restore`. Returns the
 * addresses stored alive that could not be put back. O(n log n).
 */
export function restore(tree: TreeStructure, entries: Iterable<RestoreEntry>): string[] {
  tree.reset();
  const rows = new Map<string, RestoreEntry>();
  for (const entry of entries) {
    if (entry.address !== tree.root.key) rows.set(entry.address, entry);
  }
  const waiting = new Map<string, GraphNode[]>();
  for (const row of rows.values()) {
    const node = new GraphNode(row.address);
    node.lastSeen = row.lastSeen;
    tree.nodes.set(row.address, node);
    if (row.alive && row.parent !== null) {
      const siblings = waiting.get(row.parent);
      if (siblings === undefined) waiting.set(row.parent, [node]);
      else siblings.push(node);
    }
  }

  // Top-down from the root: each node links the children waiting for it, so the sequence numbers
  // follow breadth-first order.
  const reached: GraphNode[] = [];
  walkBreadthFirst(tree.root, (parent) => {
    reached.push(parent);
    for (const child of waiting.get(parent.key) ?? []) {
      if (parent.childCount === 2) break;
      child.alive = true;
      child.order = ++tree.sequence;
      tree.link(child, parent);
    }
  });
  const attached = reached.slice(1);
  tree.aliveCount = attached.length;
  attached.sort((a, b) => a.lastSeen - b.lastSeen);
  for (const node of attached) tree.recency.touch(node, node.lastSeen);
  for (const node of reached) tree.syncOpen(node);

  const dropped: string[] = [];
  for (const row of rows.values()) {
    if (row.alive && tree.nodes.get(row.address)?.alive !== true) dropped.push(row.address);
  }
  return dropped;
}
