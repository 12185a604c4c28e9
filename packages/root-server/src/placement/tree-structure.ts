import { GraphNode, subtreeNodes, walkBreadthFirst } from './graph-node.js';
import { OpenHeap } from './open-heap.js';
import { RecencyList } from './recency-list.js';

/**
 * The state of the root's tree graph and the structural changes every rule is made of: linking a
 * node under a parent, lifting a subtree out, attaching it elsewhere, detaching subtrees when a
 * node fails, turning nodes off. It keeps the structures kept for speed (the open-node heap, the
 * recency list, the node count per depth, the live count) in step with the links. The rules
 * themselves (placement, hello paths, liveness, restore) live in their own files and work through
 * it; `TreeGraph` is the public face.
 *
 * @internal
 */
export class TreeStructure {
  readonly root: GraphNode;
  /** Every registered node (the root not included), in order of registration. */
  nodes = new Map<string, GraphNode>();
  open = new OpenHeap();
  recency = new RecencyList();
  /** Live nodes per depth (root included), for {@link maxDepth}. */
  depthCounts: number[] = [1];
  maxDepthHint = 0;
  aliveCount = 0;
  /** The last placement's sequence number: the tie-break within a depth. */
  sequence = 0;
  /** Tops of the detached subtrees (their parent failed), each waiting to re-attach. */
  detachedTops = new Set<GraphNode>();

  constructor(root: string) {
    this.root = new GraphNode(root);
    this.root.alive = true;
    this.root.depth = 0;
    this.open.insert(this.root);
  }

  /** Depth of the deepest live node (0 when only the root is in the tree). O(1) amortised. */
  get maxDepth(): number {
    const counts = this.depthCounts;
    let depth = this.maxDepthHint;
    while (depth > 0 && (counts[depth] ?? 0) === 0) depth--;
    this.maxDepthHint = depth;
    return depth;
  }

  /** The node of `key`, the root included. */
  lookup(key: string): GraphNode | undefined {
    return key === this.root.key ? this.root : this.nodes.get(key);
  }

  /** Empties the graph down to the root alone (before a restore). */
  reset(): void {
    const root = this.root;
    root.first = null;
    root.second = null;
    root.heapIndex = -1;
    this.nodes = new Map();
    this.open = new OpenHeap();
    this.recency = new RecencyList();
    this.depthCounts = [1];
    this.maxDepthHint = 0;
    this.aliveCount = 0;
    this.sequence = 0;
    this.detachedTops = new Set();
    this.open.insert(root);
  }

  /** Keeps `node` in the open heap exactly while it is in the tree with fewer than two children. */
  syncOpen(node: GraphNode): void {
    if (node.alive && node.second === null) this.open.insert(node);
    else this.open.remove(node);
  }

  /** Takes `node` and its subtree out of the tree structures, keeping their links to each other. */
  lift(node: GraphNode): void {
    this.unlinkFromParent(node);
    walkBreadthFirst(node, (next) => {
      this.open.remove(next);
      this.countDepth(next.depth, -1);
    });
  }

  /**
   * Places `node` (with the subtree it carries) under `parent`, with the next sequence number, and
   * recomputes their depths. Nodes coming back from a detached subtree (or turned off) are alive
   * again, heard from at `now`: they get a whole root timeout to say hello through their new path.
   */
  attach(node: GraphNode, parent: GraphNode, now: number): void {
    node.lastParent = null;
    node.order = ++this.sequence;
    this.link(node, parent);
    this.syncOpen(parent);
    walkBreadthFirst(node, (next, index) => {
      if (index > 0) {
        next.depth = (next.parent as GraphNode).depth + 1;
        this.countDepth(next.depth, 1);
      }
      if (!next.alive) {
        next.alive = true;
        next.detached = false;
        this.aliveCount++;
        this.recency.touch(next, now);
      }
      this.syncOpen(next);
    });
  }

  /** Sets the parent link and the child slot; `node.depth` follows the parent's. */
  link(node: GraphNode, parent: GraphNode): void {
    node.parent = parent;
    if (parent.first === null) parent.first = node;
    else parent.second = node;
    node.depth = parent.depth + 1;
    this.countDepth(node.depth, 1);
  }

  unlinkFromParent(node: GraphNode): void {
    const parent = node.parent;
    if (parent === null) return;
    // Keep the remaining child in the first slot so children stay in order of attachment.
    if (parent.first === node) parent.first = parent.second;
    parent.second = null;
    node.parent = null;
    this.syncOpen(parent);
  }

  /** Turns off `node` (in the tree or detached) and everything below it; their keys go to `out`. */
  turnOff(node: GraphNode, out: string[]): void {
    if (node.parent !== null) node.lastParent = node.parent;
    this.unlinkFromParent(node);
    this.detachedTops.delete(node);
    const subtree = subtreeNodes(node);
    for (let i = 0; i < subtree.length; i++) {
      const next = subtree[i] as GraphNode;
      out.push(next.key);
      if (i > 0) next.lastParent = next.parent;
      this.leaveTree(next);
      next.parent = null;
      next.first = null;
      next.second = null;
      next.detached = false;
    }
  }

  /** Takes a node out of the tree's structures (heap, recency, depths, live count), if it is in. */
  leaveTree(node: GraphNode): void {
    if (!node.alive) return;
    this.open.remove(node);
    this.recency.remove(node);
    this.countDepth(node.depth, -1);
    this.aliveCount--;
    node.alive = false;
    node.depth = -1;
  }

  /**
   * Turns off `node` alone; each of its children becomes the top of a detached subtree, kept
   * whole. The key turned off goes to `out`, those detached to `detached`.
   */
  fail(node: GraphNode, now: number, out: string[], detached?: string[]): void {
    const children = [node.first, node.second];
    node.first = null;
    node.second = null;
    for (const child of children) {
      if (child === null) continue;
      child.parent = null;
      child.lastParent = node;
      child.detachedAt = now;
      this.detachedTops.add(child);
      walkBreadthFirst(child, (next) => {
        this.leaveTree(next);
        next.detached = true;
        detached?.push(next.key);
      });
    }
    this.turnOff(node, out);
  }

  /** Takes a detached `node` out of its detached subtree (it is about to be attached). */
  undetach(node: GraphNode): void {
    if (node.parent === null) this.detachedTops.delete(node);
    else this.unlinkFromParent(node);
  }

  countDepth(depth: number, delta: number): void {
    this.depthCounts[depth] = (this.depthCounts[depth] ?? 0) + delta;
    if (delta > 0 && depth > this.maxDepthHint) this.maxDepthHint = depth;
  }
}
