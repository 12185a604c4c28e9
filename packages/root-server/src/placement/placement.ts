import { RootError } from '../errors.js';
import type { GraphNode } from './graph-node.js';
import type { TreeStructure } from './tree-structure.js';

/** Options of {@link place} (and `TreeGraph.place`). */
export interface PlaceOptions {
  /**
   * The requester's previous parent, to exclude. When omitted the graph uses what it knows: the
   * requester's current parent if it is still in the tree, otherwise the parent it had when it
   * was last turned off. Pass null to exclude nothing.
   */
  previousParent?: string | null;
  /**
   * A node not heard from for more than this many ms is believed dead (the root is never): it is
   * not chosen as a parent while another open node is not, and a requester whose current parent
   * it is does not go back under it. Default: no node is believed dead.
   */
  staleAfter?: number;
}

/**
 * Places `node` (registered) in the tree and returns its new parent (protocol.md 5.3): see
 * `TreeGraph.place`, which documents the rule.
 */
export function place(
  tree: TreeStructure,
  node: GraphNode,
  now: number,
  options: PlaceOptions,
): GraphNode {
  const staleAfter = options.staleAfter ?? Number.POSITIVE_INFINITY;
  const dead = (candidate: GraphNode) =>
    candidate !== tree.root && now - candidate.lastSeen > staleAfter;
  // A node whose parent is alive goes back under it (5.3.2: a child of a restarted root, a node
  // that only lost its connection): nothing moves. Once: a node that asks again before a hello
  // through it proved that parent alive lost it (it crashed just now, its connection to us has
  // not failed yet). The root itself never fails.
  const current = node.alive ? node.parent : null;
  if (
    current !== null &&
    options.previousParent === undefined &&
    !dead(current) &&
    (current === tree.root || !node.sentBack)
  ) {
    node.sentBack = true;
    tree.recency.touch(node, now);
    return current;
  }
  node.sentBack = false;
  node.unreachable = false;
  const previous =
    options.previousParent === undefined
      ? (node.parent ?? node.lastParent)
      : options.previousParent === null
        ? null
        : (tree.lookup(options.previousParent) ?? null);

  if (node.alive) tree.lift(node);
  else if (node.detached) tree.undetach(node);

  const parent = choose(tree, previous, dead);
  tree.attach(node, parent, now);
  tree.recency.touch(node, now);
  return parent;
}

/**
 * The open node nearest to the root, skipping `previous` and nodes believed dead while another
 * one is open; the previous parent comes before a node believed dead. The heap is never empty
 * here: the root's component minus a lifted subtree always has a node with fewer than two
 * children (a leaf, or the root alone). Costs O(log n) per node skipped.
 */
function choose(
  tree: TreeStructure,
  previous: GraphNode | null,
  dead: (node: GraphNode) => boolean,
): GraphNode {
  const open = tree.open;
  const skipped: GraphNode[] = [];
  let chosen: GraphNode | undefined;
  for (let top = open.peek(); top !== undefined; top = open.peek()) {
    if (top !== previous && !dead(top)) {
      chosen = top;
      break;
    }
    open.remove(top);
    skipped.push(top);
  }
  chosen ??= skipped.find((node) => !dead(node)) ?? skipped[0];
  for (const node of skipped) open.insert(node);
  if (chosen === undefined)
    throw new RootError('ERR_ROOT_PLACEMENT_INVARIANT', 'placement invariant broken: no open node');
  return chosen;
}
