import type { GraphNode } from './graph-node.js';
import type { TreeStructure } from './tree-structure.js';

/**
 * The root timeout (protocol.md 5.6.5): see `TreeGraph.sweep`. Turns off the detached subtrees
 * whose top stayed away longer than `rootTimeout`, then each node silent for longer whose parent
 * was heard from (the highest of a silent chain), alone. Live nodes are kept in order of
 * lastSeen, so only expired nodes are visited.
 */
export function sweep(
  tree: TreeStructure,
  now: number,
  rootTimeout: number,
  detached?: string[],
): string[] {
  const out: string[] = [];
  for (const top of tree.detachedTops) {
    if (now - top.detachedAt > rootTimeout) tree.turnOff(top, out);
  }
  for (let node = tree.recency.oldest; node !== null; node = tree.recency.oldest) {
    if (now - node.lastSeen <= rootTimeout) break;
    tree.fail(highestSilent(tree, node, now, rootTimeout), now, out, detached);
  }
  return out;
}

/** The highest node of the chain of silent nodes above `node` (the root is never silent). */
function highestSilent(
  tree: TreeStructure,
  node: GraphNode,
  now: number,
  rootTimeout: number,
): GraphNode {
  let failed = node;
  for (
    let up = failed.parent;
    up !== null && up !== tree.root && now - up.lastSeen > rootTimeout;
    up = up.parent
  )
    failed = up;
  return failed;
}
