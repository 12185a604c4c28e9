import { type GraphNode, walkBreadthFirst } from './graph-node.js';
import type { TreeStructure } from './tree-structure.js';

/**
 * Checks every invariant of the graph against the structures kept for speed, in O(n): see
 * `TreeGraph.verify`. Returns what is wrong (empty when consistent).
 */
export function verify(tree: TreeStructure): string[] {
  const problems: string[] = [];
  const reached = new Set<GraphNode>();
  walkBreadthFirst(tree.root, (node) => {
    if (reached.has(node)) {
      problems.push(`${node.key} reached twice (cycle or shared child)`);
      return false;
    }
    reached.add(node);
    if (!node.alive) problems.push(`${node.key} is in the tree but not alive`);
    if (node.first === null && node.second !== null) problems.push(`${node.key}: hole in children`);
    for (const child of [node.first, node.second]) {
      if (child === null) continue;
      if (child.parent !== node) problems.push(`${child.key}: parent link does not match`);
      if (child.depth !== node.depth + 1) problems.push(`${child.key}: depth ${child.depth}`);
    }
    const open = node.childCount < 2;
    if (open !== tree.open.has(node)) problems.push(`${node.key}: open heap out of date`);
  });
  let alive = 0;
  for (const node of tree.nodes.values()) {
    if (node.alive) alive++;
    problems.push(...nodeProblems(tree, node, reached));
  }
  if (alive !== tree.aliveCount) problems.push(`alive count ${tree.aliveCount}, actual ${alive}`);
  for (const node of tree.open.values()) {
    if (!reached.has(node)) problems.push(`${node.key} open but not in the tree`);
  }
  return problems;
}

/** What is wrong with one registered node's state, given the nodes reached from the root. */
function nodeProblems(tree: TreeStructure, node: GraphNode, reached: Set<GraphNode>): string[] {
  const problems: string[] = [];
  if (node.alive && !reached.has(node)) problems.push(`${node.key} alive but not connected`);
  if (!node.alive && !node.detached && (node.parent || node.first || node.depth !== -1)) {
    problems.push(`${node.key} turned off but still linked`);
  }
  if (node.detached) {
    if (node.alive || node.depth !== -1) problems.push(`${node.key} detached but in the tree`);
    if ((node.parent === null) !== tree.detachedTops.has(node))
      problems.push(`${node.key}: detached tops out of date`);
    if (node.parent !== null && !node.parent.detached)
      problems.push(`${node.key}: detached under a node that is not`);
    for (const child of [node.first, node.second]) {
      if (child !== null && (child.parent !== node || !child.detached))
        problems.push(`${child.key}: detached subtree links do not match`);
    }
  }
  if (node.alive !== node.listed) problems.push(`${node.key}: recency list out of date`);
  return problems;
}
