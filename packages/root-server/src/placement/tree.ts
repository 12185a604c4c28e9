import { OpenHeap } from './open-heap.js';
import { RecencyList } from './recency-list.js';
import { TreeNode } from './tree-node.js';

/** A registered node as the topology API shows it. */
export interface TreeNodeView {
  /** The node's `'HOST:PORT'` key. */
  address: string;
  /** Its parent's key; null when it is not in the tree. */
  parent: string | null;
  /** True while it is in the tree (placed and not turned off). */
  alive: boolean;
  /** When it was last heard from (ms, the caller's clock). */
  lastSeen: number;
}

/** A persisted position to rebuild the graph from: the same shape as {@link TreeNodeView}. */
export type RestoreEntry = TreeNodeView;

/** Options of {@link TreeGraph.place}. */
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
 * The root's graph of the tree: the root and every registered node, with parent, children
 * (at most two, all live), depth, liveness and when each was last heard from. It decides where
 * an advertising node attaches (protocol.md section 5.3) and which nodes the root turns off
 * (section 5.6).
 *
 * Node identity is the normalised `'HOST:PORT'` string (`formatAddress` of `@p2p/codec`). The
 * root itself is always alive at depth 0 and is not one of the registered nodes: {@link size},
 * {@link aliveCount} and {@link nodes} leave it out.
 *
 * Placement is breadth-first: the open node (in the tree, fewer than two live children) of
 * smallest depth wins, and within a depth the one placed earliest (every placement gives the
 * placed node the next sequence number; nodes carried along with a moving subtree keep theirs;
 * after {@link restore} the numbers follow breadth-first order of the restored tree). Open nodes
 * are kept in a heap keyed by (depth, order), so placing a node without a subtree costs
 * O(log n); moving a subtree of k nodes costs O(k log n). Because every level fills before the
 * next one opens, the depth stays near log2(n), far below the 99 entries a Reunion path can hold.
 * A node that re-advertises with a subtree hangs it at the shallowest open place, which adds the
 * subtree's height; nothing rebalances it (the protocol cannot move a node that did not ask), so
 * depth is not asserted, only reported by {@link maxDepth}.
 *
 * Time is never read: every call that records liveness takes `now` (ms).
 */
export class TreeGraph {
  readonly #root: TreeNode;
  #nodes = new Map<string, TreeNode>();
  #open = new OpenHeap();
  #recency = new RecencyList();
  /** Live nodes per depth (root included), for {@link maxDepth}. */
  #depthCounts: number[] = [1];
  #maxDepthHint = 0;
  #aliveCount = 0;
  #sequence = 0;
  /** Tops of the detached subtrees (their parent failed), each waiting to re-attach. */
  #detachedTops = new Set<TreeNode>();

  /** @param root the root's own `'HOST:PORT'` key. */
  constructor(root: string) {
    this.#root = new TreeNode(root);
    this.#root.alive = true;
    this.#root.depth = 0;
    this.#open.insert(this.#root);
  }

  /** The root's key. */
  get root(): string {
    return this.#root.key;
  }

  /** Number of registered nodes (the root not included). */
  get size(): number {
    return this.#nodes.size;
  }

  /** Number of registered nodes currently in the tree (the root not included). */
  get aliveCount(): number {
    return this.#aliveCount;
  }

  /** Depth of the deepest live node (0 when only the root is in the tree). O(1) amortised. */
  get maxDepth(): number {
    const counts = this.#depthCounts;
    let depth = this.#maxDepthHint;
    while (depth > 0 && (counts[depth] ?? 0) === 0) depth--;
    this.#maxDepthHint = depth;
    return depth;
  }

  /** True when `key` is a registered node (false for the root). */
  has(key: string): boolean {
    return this.#nodes.has(key);
  }

  /**
   * Adds a registered node, not in the tree yet. Idempotent: a node added again keeps its state.
   * Returns true when the node is new.
   */
  add(key: string, now: number): boolean {
    if (key === this.#root.key)
      throw new Error(`the root ${key} cannot be registered in its own tree`);
    if (this.#nodes.has(key)) return false;
    const node = new TreeNode(key);
    node.lastSeen = now;
    this.#nodes.set(key, node);
    return true;
  }

  /**
   * Places `requester` (a registered node) in the tree and returns its new parent's key
   * (protocol.md 5.3): the open node nearest to the root, excluding the requester, its current
   * subtree and its previous parent. The requester is detached from any current parent with its
   * subtree, which moves along (their depths change, their order and lastSeen do not); the
   * requester itself becomes alive, heard from at `now`, with the next sequence number.
   *
   * The choice is made after the requester's subtree has been taken out, so its old parent counts
   * one child fewer. The previous parent is excluded only while another candidate exists: when it
   * is the only open node left (say it is the root and the requester's subtree is the rest of the
   * tree) the requester must still get a parent, and the protocol has no "no parent" answer.
   *
   * @throws Error when `requester` is not registered or is the root (a caller's bug).
   */
  place(requester: string, now: number, options: PlaceOptions = {}): string {
    const node = this.#require(requester);
    const staleAfter = options.staleAfter ?? Number.POSITIVE_INFINITY;
    const dead = (candidate: TreeNode) =>
      candidate !== this.#root && now - candidate.lastSeen > staleAfter;
    // A node whose parent is alive goes back under it (5.3.2: a child of a restarted root, a node
    // that only lost its connection): nothing moves. Once: a node that asks again before a hello
    // through it proved that parent alive lost it (it crashed just now, its connection to us has
    // not failed yet). The root itself never fails.
    const current = node.alive ? node.parent : null;
    if (
      current !== null &&
      options.previousParent === undefined &&
      !dead(current) &&
      (current === this.#root || !node.sentBack)
    ) {
      node.sentBack = true;
      this.#recency.touch(node, now);
      return current.key;
    }
    node.sentBack = false;
    node.unreachable = false;
    const previous =
      options.previousParent === undefined
        ? (node.parent ?? node.lastParent)
        : options.previousParent === null
          ? null
          : (this.#lookup(options.previousParent) ?? null);

    if (node.alive) this.#lift(node);
    else if (node.detached) this.#undetach(node);

    const parent = this.#choose(previous, dead);
    node.lastParent = null;
    node.order = ++this.#sequence;
    this.#attach(node, parent, now);
    this.#recency.touch(node, now);
    return parent.key;
  }

  /**
   * The open node nearest to the root, skipping `previous` and nodes believed dead while another
   * one is open; the previous parent comes before a node believed dead. The heap is never empty
   * here: the root's component minus a lifted subtree always has a node with fewer than two
   * children (a leaf, or the root alone). Costs O(log n) per node skipped.
   */
  #choose(previous: TreeNode | null, dead: (node: TreeNode) => boolean): TreeNode {
    const open = this.#open;
    const skipped: TreeNode[] = [];
    let chosen: TreeNode | undefined;
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
    if (chosen === undefined) throw new Error('placement invariant broken: no open node');
    return chosen;
  }

  /**
   * Confirms a Reunion hello path and records it (protocol.md 5.6.3): `keys` from the originator
   * up to a child of the root must be the tree as this graph has it — the first in the tree, each
   * key's parent the next one, the last one's parent the root. Then every node on it is heard from
   * at `now` and true is returned; otherwise nothing changes and false is returned (a node turned
   * off or moved, a forged path). One map lookup per hello, then parent pointers. The graph's own
   * key of each node heard from is added to `heard`, if given (the graph's strings, whose hashes
   * are already computed: cheaper to keep in a set than the keys of the packet).
   */
  confirmPath(keys: readonly string[], now: number, heard?: Set<string>): boolean {
    const first = keys[0];
    let node = first === undefined ? undefined : this.#nodes.get(first);
    if (node === undefined || !node.alive) return false;
    const originator = node;
    for (let i = 1; i <= keys.length; i++) {
      const parent: TreeNode | null = node.parent;
      if (parent === null || parent.key !== (keys[i] ?? this.#root.key)) return false;
      node = parent;
    }
    const recency = this.#recency;
    // Children are alive whenever their parent is: every node on the path is in the tree.
    for (let at: TreeNode | null = originator; at !== null && at !== this.#root; at = at.parent) {
      recency.touch(at, now);
      at.sentBack = false;
      heard?.add(at.key);
    }
    return true;
  }

  /**
   * Takes a Reunion hello path as the truth where this graph has lost its nodes (protocol.md
   * 5.6.3): a hello proves its path, hop by hop. Walking from the root's child (the last key)
   * down to the originator, every node that is turned off or detached is re-attached under the
   * next key, carrying the detached subtree it had. Returns the keys whose position changed
   * (empty when the path already holds), after which {@link confirmPath} holds; or undefined,
   * changing nothing, when the path does not fit the tree rules: an unregistered key or the root
   * in it, a key twice, a node this graph has in the tree under another parent (the path is
   * older than its placement), a parent that already has two children, or a node that {@link fail}
   * took out and that has not asked again since.
   */
  repairPath(keys: readonly string[], now: number): string[] | undefined {
    const path: TreeNode[] = [];
    for (const key of keys) {
      const node = this.#nodes.get(key);
      if (node === undefined) return undefined;
      path.push(node);
    }
    if (path.length === 0 || new Set(path).size !== path.length) return undefined;
    // Plan first, top-down: a node is in the tree after the repair when it is now, or when it
    // travels with a detached subtree whose top (or itself) is re-attached.
    const moves: Array<[node: TreeNode, parent: TreeNode]> = [];
    const tops = new Set<TreeNode>();
    const willBeAlive = (node: TreeNode): boolean => {
      if (node.alive) return true;
      for (let at: TreeNode | null = node; at !== null; at = at.parent)
        if (tops.has(at)) return true;
      return false;
    };
    let parent = this.#root;
    for (let i = path.length - 1; i >= 0; i--) {
      const node = path[i] as TreeNode;
      if (node.parent !== parent || !willBeAlive(node)) {
        if (willBeAlive(node) || node.unreachable || parent.childCount >= 2) return undefined;
        moves.push([node, parent]);
        tops.add(node);
      }
      parent = node;
    }
    const changed: string[] = [];
    for (const [node, under] of moves) {
      if (node.detached) this.#undetach(node);
      node.lastParent = null;
      node.order = ++this.#sequence;
      this.#attach(node, under, now);
      changed.push(...this.subtreeOf(node.key));
    }
    return changed;
  }

  /**
   * A node failed (its connection failed, or it is the highest of a silent chain): it alone is
   * turned off. Each of its children becomes the top of a detached subtree, kept whole (not in
   * the tree, links kept) until that child re-advertises or a hello proves its path; the sweep
   * turns a detached subtree off when its top has not come back within the root timeout. The
   * failed node itself is re-attached by no hello path (hellos of it still in flight prove
   * nothing now): it comes back by asking again. Returns `[key]`, or empty when `key` is neither
   * in the tree nor detached; the keys of the nodes detached are added to `detached`, if given.
   *
   * @throws Error for the root.
   */
  fail(key: string, now: number, detached?: string[]): string[] {
    if (key === this.#root.key) throw new Error('the root cannot be turned off');
    const node = this.#nodes.get(key);
    const out: string[] = [];
    if (node !== undefined && (node.alive || node.detached)) {
      node.unreachable = true;
      this.#fail(node, now, out, detached);
    }
    return out;
  }

  /**
   * Turns off `key` and its whole subtree: they leave the tree (no parent, no children, not
   * alive) but stay registered, and each remembers its parent so that its next placement avoids
   * it. Returns the keys turned off, `key` first then breadth-first; empty when `key` was not in
   * the tree. O(k log n) for k nodes.
   *
   * @throws Error for the root.
   */
  turnOff(key: string): string[] {
    if (key === this.#root.key) throw new Error('the root cannot be turned off');
    const node = this.#nodes.get(key);
    const out: string[] = [];
    if (node !== undefined && (node.alive || node.detached)) this.#turnOff(node, out);
    return out;
  }

  /**
   * The root timeout (protocol.md 5.6.5). A node not heard from for more than `rootTimeout` ms
   * before `now` (`now - lastSeen > rootTimeout`) has failed when its parent has not (the
   * nodes below it were silent only because their hellos went through it): it is turned off
   * alone, as by {@link fail}, and its children's subtrees are detached. A detached subtree
   * whose top has not come back within `rootTimeout` of being detached is turned off whole.
   * Returns the keys turned off; the keys detached are added to `detached`, if given. Costs
   * O(1) when nothing expired (beyond the detached tops, usually none): live nodes are kept in
   * order of lastSeen, so only expired nodes are visited.
   */
  sweep(now: number, rootTimeout: number, detached?: string[]): string[] {
    const out: string[] = [];
    for (const top of this.#detachedTops) {
      if (now - top.detachedAt > rootTimeout) this.#turnOff(top, out);
    }
    for (let node = this.#recency.oldest; node !== null; node = this.#recency.oldest) {
      if (now - node.lastSeen <= rootTimeout) break;
      let failed = node;
      for (
        let up = failed.parent;
        up !== null && up !== this.#root && now - up.lastSeen > rootTimeout;
        up = up.parent
      )
        failed = up;
      this.#fail(failed, now, out, detached);
    }
    return out;
  }

  /**
   * Removes a registered node that is not in the tree (never placed, or turned off): it is no
   * longer registered. Returns false, changing nothing, for a node in the tree, a detached one (its
   * subtree still holds it) or an unknown key.
   */
  forget(key: string): boolean {
    const node = this.#nodes.get(key);
    if (node === undefined || node.alive || node.detached) return false;
    return this.#nodes.delete(key);
  }

  /** The parent's key; null for the root, a node not in the tree, or an unknown key. */
  parentOf(key: string): string | null {
    const node = this.#lookup(key);
    return node?.alive ? (node.parent?.key ?? null) : null;
  }

  /** True when `key` waits, detached with its subtree, for its top to re-attach. */
  isDetached(key: string): boolean {
    return this.#nodes.get(key)?.detached === true;
  }

  /** Keys of the live children in order of attachment (empty for unknown keys and nodes not in the tree). */
  childrenOf(key: string): string[] {
    const node = this.#lookup(key);
    const out: string[] = [];
    if (!node?.alive) return out;
    if (node?.first) out.push(node.first.key);
    if (node?.second) out.push(node.second.key);
    return out;
  }

  /** True when `key` is in the tree (always for the root). */
  isAlive(key: string): boolean {
    return this.#lookup(key)?.alive === true;
  }

  /** Distance from the root (0 for the root); undefined when not in the tree or unknown. */
  depthOf(key: string): number | undefined {
    const node = this.#lookup(key);
    return node?.alive ? node.depth : undefined;
  }

  /** When a registered node was last heard from; undefined for the root and unknown keys. */
  lastSeenOf(key: string): number | undefined {
    return this.#nodes.get(key)?.lastSeen;
  }

  /**
   * `key` and every node below it, breadth-first (`key` first): for a detached node the subtree
   * it carries, just `[key]` for a node turned off, empty for an unknown key.
   */
  subtreeOf(key: string): string[] {
    const node = this.#lookup(key);
    if (node === undefined) return [];
    const out: string[] = [];
    const queue: TreeNode[] = [node];
    for (let i = 0; i < queue.length; i++) {
      const next = queue[i] as TreeNode;
      out.push(next.key);
      if (next.first) queue.push(next.first);
      if (next.second) queue.push(next.second);
    }
    return out;
  }

  /** Every registered node (the root not included), in order of registration. */
  *nodes(): IterableIterator<TreeNodeView> {
    for (const node of this.#nodes.values()) {
      yield {
        address: node.key,
        parent: node.alive ? (node.parent?.key ?? null) : null,
        alive: node.alive,
        lastSeen: node.lastSeen,
      };
    }
  }

  /**
   * Replaces the whole graph with persisted positions (after a restart). Entries for the root's
   * key are ignored; a later entry for the same address wins. A node comes back alive only when
   * its row says alive and its chain of parents reaches the root through live rows; a parent
   * keeps at most two children (in entry order). Returns the addresses that were stored alive
   * but could not be put back (they are left turned off, to re-advertise), so the caller can
   * persist the correction. Sequence numbers are given in breadth-first order. O(n log n).
   */
  restore(entries: Iterable<RestoreEntry>): string[] {
    this.#reset();
    const rows = new Map<string, RestoreEntry>();
    for (const entry of entries) {
      if (entry.address !== this.#root.key) rows.set(entry.address, entry);
    }
    const waiting = new Map<string, TreeNode[]>();
    for (const row of rows.values()) {
      const node = new TreeNode(row.address);
      node.lastSeen = row.lastSeen;
      this.#nodes.set(row.address, node);
      if (row.alive && row.parent !== null) {
        const siblings = waiting.get(row.parent);
        if (siblings === undefined) waiting.set(row.parent, [node]);
        else siblings.push(node);
      }
    }

    const attached: TreeNode[] = [];
    const queue: TreeNode[] = [this.#root];
    for (let i = 0; i < queue.length; i++) {
      const parent = queue[i] as TreeNode;
      for (const child of waiting.get(parent.key) ?? []) {
        if (parent.childCount === 2) break;
        child.alive = true;
        child.order = ++this.#sequence;
        this.#link(child, parent);
        attached.push(child);
        queue.push(child);
      }
    }
    this.#aliveCount = attached.length;
    attached.sort((a, b) => a.lastSeen - b.lastSeen);
    for (const node of attached) this.#recency.touch(node, node.lastSeen);
    for (const node of queue) this.#syncOpen(node);

    const dropped: string[] = [];
    for (const row of rows.values()) {
      if (row.alive && this.#nodes.get(row.address)?.alive !== true) dropped.push(row.address);
    }
    return dropped;
  }

  /**
   * Checks every invariant against the structures kept for speed, in O(n): children ≤ 2 and
   * consistent with parents, live nodes connected to the root without cycles, depths, the open
   * heap and the live count. Returns what is wrong (empty when consistent); for tests and
   * debugging.
   */
  verify(): string[] {
    const problems: string[] = [];
    const reached = new Set<TreeNode>();
    const queue: TreeNode[] = [this.#root];
    for (let i = 0; i < queue.length; i++) {
      const node = queue[i] as TreeNode;
      if (reached.has(node)) {
        problems.push(`${node.key} reached twice (cycle or shared child)`);
        continue;
      }
      reached.add(node);
      if (!node.alive) problems.push(`${node.key} is in the tree but not alive`);
      if (node.first === null && node.second !== null)
        problems.push(`${node.key}: hole in children`);
      for (const child of [node.first, node.second]) {
        if (child === null) continue;
        if (child.parent !== node) problems.push(`${child.key}: parent link does not match`);
        if (child.depth !== node.depth + 1) problems.push(`${child.key}: depth ${child.depth}`);
        queue.push(child);
      }
      const open = node.childCount < 2;
      if (open !== this.#open.has(node)) problems.push(`${node.key}: open heap out of date`);
    }
    let alive = 0;
    for (const node of this.#nodes.values()) {
      if (node.alive) alive++;
      if (node.alive && !reached.has(node)) problems.push(`${node.key} alive but not connected`);
      if (!node.alive && !node.detached && (node.parent || node.first || node.depth !== -1)) {
        problems.push(`${node.key} turned off but still linked`);
      }
      if (node.detached) {
        if (node.alive || node.depth !== -1) problems.push(`${node.key} detached but in the tree`);
        if ((node.parent === null) !== this.#detachedTops.has(node))
          problems.push(`${node.key}: detached tops out of date`);
        if (node.parent !== null && !node.parent.detached)
          problems.push(`${node.key}: detached under a node that is not`);
        for (const child of [node.first, node.second]) {
          if (child !== null && (child.parent !== node || !child.detached))
            problems.push(`${child.key}: detached subtree links do not match`);
        }
      }
      if (node.alive !== node.listed) problems.push(`${node.key}: recency list out of date`);
    }
    if (alive !== this.#aliveCount)
      problems.push(`alive count ${this.#aliveCount}, actual ${alive}`);
    for (const node of this.#open.values()) {
      if (!reached.has(node)) problems.push(`${node.key} open but not in the tree`);
    }
    return problems;
  }

  #require(key: string): TreeNode {
    const node = this.#nodes.get(key);
    if (node === undefined) {
      throw new Error(
        key === this.#root.key ? 'the root cannot be placed' : `${key} is not registered`,
      );
    }
    return node;
  }

  #lookup(key: string): TreeNode | undefined {
    return key === this.#root.key ? this.#root : this.#nodes.get(key);
  }

  /** Keeps `node` in the open heap exactly while it is in the tree with fewer than two children. */
  #syncOpen(node: TreeNode): void {
    if (node.alive && node.second === null) this.#open.insert(node);
    else this.#open.remove(node);
  }

  /** Takes `node` and its subtree out of the tree structures, keeping their links to each other. */
  #lift(node: TreeNode): void {
    this.#unlinkFromParent(node);
    const queue: TreeNode[] = [node];
    for (let i = 0; i < queue.length; i++) {
      const next = queue[i] as TreeNode;
      this.#open.remove(next);
      this.#countDepth(next.depth, -1);
      if (next.first) queue.push(next.first);
      if (next.second) queue.push(next.second);
    }
  }

  /**
   * Hangs `node` (with the subtree it carries) under `parent` and recomputes their depths. Nodes
   * coming back from a detached subtree (or turned off) are alive again, heard from at `now`:
   * they get a whole root timeout to say hello through their new path.
   */
  #attach(node: TreeNode, parent: TreeNode, now: number): void {
    this.#link(node, parent);
    this.#syncOpen(parent);
    const queue: TreeNode[] = [node];
    for (let i = 0; i < queue.length; i++) {
      const next = queue[i] as TreeNode;
      if (i > 0) {
        next.depth = (next.parent as TreeNode).depth + 1;
        this.#countDepth(next.depth, 1);
      }
      if (!next.alive) {
        next.alive = true;
        next.detached = false;
        this.#aliveCount++;
        this.#recency.touch(next, now);
      }
      this.#syncOpen(next);
      if (next.first) queue.push(next.first);
      if (next.second) queue.push(next.second);
    }
  }

  /** Sets the parent link and the child slot; `node.depth` follows the parent's. */
  #link(node: TreeNode, parent: TreeNode): void {
    node.parent = parent;
    if (parent.first === null) parent.first = node;
    else parent.second = node;
    node.depth = parent.depth + 1;
    this.#countDepth(node.depth, 1);
  }

  #unlinkFromParent(node: TreeNode): void {
    const parent = node.parent;
    if (parent === null) return;
    // Keep the remaining child in the first slot so children stay in order of attachment.
    if (parent.first === node) parent.first = parent.second;
    parent.second = null;
    node.parent = null;
    this.#syncOpen(parent);
  }

  /** Turns off `node` (in the tree or detached) and everything below it. */
  #turnOff(node: TreeNode, out: string[]): void {
    if (node.parent !== null) node.lastParent = node.parent;
    this.#unlinkFromParent(node);
    this.#detachedTops.delete(node);
    const queue: TreeNode[] = [node];
    for (let i = 0; i < queue.length; i++) {
      const next = queue[i] as TreeNode;
      out.push(next.key);
      if (next.first) queue.push(next.first);
      if (next.second) queue.push(next.second);
      if (i > 0) next.lastParent = next.parent;
      this.#leaveTree(next);
      next.parent = null;
      next.first = null;
      next.second = null;
      next.detached = false;
    }
  }

  /** Takes a node out of the tree's structures (heap, recency, depths, live count), if it is in. */
  #leaveTree(node: TreeNode): void {
    if (!node.alive) return;
    this.#open.remove(node);
    this.#recency.remove(node);
    this.#countDepth(node.depth, -1);
    this.#aliveCount--;
    node.alive = false;
    node.depth = -1;
  }

  /** Turns off `node` alone; each of its children becomes the top of a detached subtree. */
  #fail(node: TreeNode, now: number, out: string[], detached?: string[]): void {
    const children = [node.first, node.second];
    node.first = null;
    node.second = null;
    for (const child of children) {
      if (child === null) continue;
      child.parent = null;
      child.lastParent = node;
      child.detachedAt = now;
      this.#detachedTops.add(child);
      const queue: TreeNode[] = [child];
      for (let i = 0; i < queue.length; i++) {
        const next = queue[i] as TreeNode;
        if (next.first) queue.push(next.first);
        if (next.second) queue.push(next.second);
        this.#leaveTree(next);
        next.detached = true;
        detached?.push(next.key);
      }
    }
    this.#turnOff(node, out);
  }

  /** Takes a detached `node` out of its detached subtree (it is about to be attached). */
  #undetach(node: TreeNode): void {
    if (node.parent === null) this.#detachedTops.delete(node);
    else this.#unlinkFromParent(node);
  }

  #countDepth(depth: number, delta: number): void {
    this.#depthCounts[depth] = (this.#depthCounts[depth] ?? 0) + delta;
    if (delta > 0 && depth > this.#maxDepthHint) this.#maxDepthHint = depth;
  }

  #reset(): void {
    const root = this.#root;
    root.first = null;
    root.second = null;
    root.heapIndex = -1;
    this.#nodes = new Map();
    this.#open = new OpenHeap();
    this.#recency = new RecencyList();
    this.#depthCounts = [1];
    this.#maxDepthHint = 0;
    this.#aliveCount = 0;
    this.#sequence = 0;
    this.#detachedTops = new Set();
    this.#open.insert(root);
  }
}
