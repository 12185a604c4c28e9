import { RootError } from '../errors.js';
import { GraphNode, subtreeNodes } from './graph-node.js';
import { confirmPath, repairPath } from './hello-paths.js';
import { sweep } from './liveness.js';
import { type PlaceOptions, place } from './placement.js';
import { type RestoreEntry, restore } from './restore.js';
import { TreeStructure } from './tree-structure.js';
import { verify } from './verify.js';

export type { PlaceOptions } from './placement.js';
export type { RestoreEntry } from './restore.js';

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
  readonly #tree: TreeStructure;

  /** @param root the root's own `'HOST:PORT'` key. */
  constructor(root: string) {
    this.#tree = new TreeStructure(root);
  }

  /** The root's key. */
  get root(): string {
    return this.#tree.root.key;
  }

  /** Number of registered nodes (the root not included). */
  get size(): number {
    return this.#tree.nodes.size;
  }

  /** Number of registered nodes currently in the tree (the root not included). */
  get aliveCount(): number {
    return this.#tree.aliveCount;
  }

  /** Depth of the deepest live node (0 when only the root is in the tree). O(1) amortised. */
  get maxDepth(): number {
    return this.#tree.maxDepth;
  }

  /** True when `key` is a registered node (false for the root). */
  has(key: string): boolean {
    return this.#tree.nodes.has(key);
  }

  /**
   * Adds a registered node, not in the tree yet. Idempotent: a node added again keeps its state.
   * Returns true when the node is new.
   */
  add(key: string, now: number): boolean {
    const tree = this.#tree;
    if (key === tree.root.key)
      throw new RootError(
        'ERR_ROOT_IS_ROOT',
        `the root ${key} cannot be registered in its own tree`,
      );
    if (tree.nodes.has(key)) return false;
    const node = new GraphNode(key);
    node.lastSeen = now;
    tree.nodes.set(key, node);
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
   * @throws RootError `ERR_ROOT_NOT_REGISTERED` when `requester` is not registered, `ERR_ROOT_IS_ROOT`
   *   when it is the root (a caller's bug).
   */
  place(requester: string, now: number, options: PlaceOptions = {}): string {
    return place(this.#tree, this.#require(requester), now, options).key;
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
    return confirmPath(this.#tree, keys, now, heard);
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
    return repairPath(this.#tree, keys, now);
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
   * @throws RootError `ERR_ROOT_IS_ROOT` for the root.
   */
  fail(key: string, now: number, detached?: string[]): string[] {
    const node = this.#registered(key, 'turned off');
    const out: string[] = [];
    if (node !== undefined && (node.alive || node.detached)) {
      node.unreachable = true;
      this.#tree.fail(node, now, out, detached);
    }
    return out;
  }

  /**
   * Turns off `key` and its whole subtree: they leave the tree (no parent, no children, not
   * alive) but stay registered, and each remembers its parent so that its next placement avoids
   * it. Returns the keys turned off, `key` first then breadth-first; empty when `key` was not in
   * the tree. O(k log n) for k nodes.
   *
   * @throws RootError `ERR_ROOT_IS_ROOT` for the root.
   */
  turnOff(key: string): string[] {
    const node = this.#registered(key, 'turned off');
    const out: string[] = [];
    if (node !== undefined && (node.alive || node.detached)) this.#tree.turnOff(node, out);
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
    return sweep(this.#tree, now, rootTimeout, detached);
  }

  /**
   * Removes a registered node that is not in the tree (never placed, or turned off): it is no
   * longer registered. Returns false, changing nothing, for a node in the tree, a detached one (its
   * subtree still holds it) or an unknown key.
   */
  forget(key: string): boolean {
    const node = this.#tree.nodes.get(key);
    if (node === undefined || node.alive || node.detached) return false;
    return this.#tree.nodes.delete(key);
  }

  /** The parent's key; null for the root, a node not in the tree, or an unknown key. */
  parentOf(key: string): string | null {
    const node = this.#tree.lookup(key);
    return node?.alive ? (node.parent?.key ?? null) : null;
  }

  /** True when `key` waits, detached with its subtree, for its top to re-attach. */
  isDetached(key: string): boolean {
    return this.#tree.nodes.get(key)?.detached === true;
  }

  /** Keys of the live children in order of attachment (empty for unknown keys and nodes not in the tree). */
  childrenOf(key: string): string[] {
    const node = this.#tree.lookup(key);
    const out: string[] = [];
    if (!node?.alive) return out;
    if (node.first) out.push(node.first.key);
    if (node.second) out.push(node.second.key);
    return out;
  }

  /** True when `key` is in the tree (always for the root). */
  isAlive(key: string): boolean {
    return this.#tree.lookup(key)?.alive === true;
  }

  /** Distance from the root (0 for the root); undefined when not in the tree or unknown. */
  depthOf(key: string): number | undefined {
    const node = this.#tree.lookup(key);
    return node?.alive ? node.depth : undefined;
  }

  /** When a registered node was last heard from; undefined for the root and unknown keys. */
  lastSeenOf(key: string): number | undefined {
    return this.#tree.nodes.get(key)?.lastSeen;
  }

  /**
   * `key` and every node below it, breadth-first (`key` first): for a detached node the subtree
   * it carries, just `[key]` for a node turned off, empty for an unknown key.
   */
  subtreeOf(key: string): string[] {
    const node = this.#tree.lookup(key);
    return node === undefined ? [] : subtreeNodes(node).map((next) => next.key);
  }

  /** Every registered node (the root not included), in order of registration. */
  *nodes(): IterableIterator<TreeNodeView> {
    for (const node of this.#tree.nodes.values()) {
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
    return restore(this.#tree, entries);
  }

  /**
   * Checks every invariant against the structures kept for speed, in O(n): children ≤ 2 and
   * consistent with parents, live nodes connected to the root without cycles, depths, the open
   * heap and the live count. Returns what is wrong (empty when consistent); for tests and
   * debugging.
   */
  verify(): string[] {
    return verify(this.#tree);
  }

  #require(key: string): GraphNode {
    const node = this.#registered(key, 'placed');
    if (node === undefined)
      throw new RootError('ERR_ROOT_NOT_REGISTERED', `${key} is not registered`);
    return node;
  }

  /** The registered node of `key`, if any; the root is refused (`what` it cannot be). */
  #registered(key: string, what: string): GraphNode | undefined {
    if (key === this.#tree.root.key)
      throw new RootError('ERR_ROOT_IS_ROOT', `the root cannot be ${what}`);
    return this.#tree.nodes.get(key);
  }
}
