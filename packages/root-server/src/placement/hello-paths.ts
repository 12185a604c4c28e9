import { type GraphNode, subtreeNodes } from './graph-node.js';
import type { TreeStructure } from './tree-structure.js';

/**
 * Confirms a Reunion hello path and records it (protocol.md 5.6.3): see `TreeGraph.confirmPath`.
 * One map lookup per hello, then parent pointers.
 */
export function confirmPath(
  tree: TreeStructure,
  keys: readonly string[],
  now: number,
  heard?: Set<string>,
): boolean {
  const first = keys[0];
  let node = first === undefined ? undefined : tree.nodes.get(first);
  if (node === undefined || !node.alive) return false;
  const originator = node;
  for (let i = 1; i <= keys.length; i++) {
    const parent: GraphNode | null = node.parent;
    if (parent === null || parent.key !== (keys[i] ?? tree.root.key)) return false;
    node = parent;
  }
  const recency = tree.recency;
  // Children are alive whenever their parent is: every node on the path is in the tree.
  for (let at: GraphNode | null = originator; at !== null && at !== tree.root; at = at.parent) {
    recency.touch(at, now);
    at.sentBack = false;
    heard?.add(at.key);
  }
  return true;
}

/**
 * Takes a Reunion hello path as the truth where the graph has lost its nodes (protocol.md 5.6.3):
 * see `TreeGraph.repairPath`. Returns the keys whose position changed, or undefined when the path
 * does not fit the tree rules.
 */
export function repairPath(
  tree: TreeStructure,
  keys: readonly string[],
  now: number,
): string[] | undefined {
  const path: GraphNode[] = [];
  for (const key of keys) {
    const node = tree.nodes.get(key);
    if (node === undefined) return undefined;
    path.push(node);
  }
  if (path.length === 0 || new Set(path).size !== path.length) return undefined;
  // Plan first, top-down: a node is in the tree after the repair when it is now, or when it
  // travels with a detached subtree whose top (or itself) is re-attached.
  const moves: Array<[node: GraphNode, parent: GraphNode]> = [];
  const tops = new Set<GraphNode>();
  const willBeAlive = (node: GraphNode): boolean => {
    if (node.alive) return true;
    for (let at: GraphNode | null = node; at !== null; at = at.parent)
      if (tops.has(at)) return true;
    return false;
  };
  let parent = tree.root;
  for (let i = path.length - 1; i >= 0; i--) {
    const node = path[i] as GraphNode;
    if (node.parent !== parent || !willBeAlive(node)) {
      if (willBeAlive(node) || node.unreachable || parent.childCount >= 2) return undefined;
      moves.push([node, parent]);
      tops.add(node);
    }
    parent = node;
  }
  const changed: string[] = [];
  for (const [node, under] of moves) {
    if (node.detached) tree.undetach(node);
    tree.attach(node, under, now);
    for (const moved of subtreeNodes(node)) changed.push(moved.key);
  }
  return changed;
}
