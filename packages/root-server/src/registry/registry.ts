import { type RootError, storeError } from '../errors.js';
import { type PlaceOptions, TreeGraph, type TreeNodeView } from '../placement/tree.js';
import type { NodePosition, Store } from '../store/store.js';
import { WriteQueue } from './write-queue.js';

/** Options of {@link Registry}. */
export interface RegistryOptions {
  /** The root's own `'HOST:PORT'` key (normalised, `formatAddress` of `@p2p/codec`). */
  root: string;
  /** Where registrations and positions are persisted; the registry closes it. */
  store: Store;
  /**
   * Told of a write behind (a position, liveness, a forget) that failed: its nodes are kept for
   * the next {@link Registry.flush}. Writes that a caller awaits reject instead.
   */
  onWriteFailed?: (error: RootError) => void;
}

/** What {@link Registry.restore} found. */
export interface RestoreReport {
  /** Registered nodes loaded. */
  registered: number;
  /** Nodes put back in the tree (stored alive and still connected to the root). */
  alive: number;
  /**
   * Nodes stored alive that could not be put back (their parent chain no longer reaches this
   * root, e.g. the root's address changed); they are now turned off and will re-advertise.
   */
  dropped: string[];
}

/**
 * The root's registry: the registered nodes (durable, in a {@link Store}) and the tree they form
 * (a {@link TreeGraph}). Every address is a normalised `'HOST:PORT'` key.
 *
 * Persistence goes through one queue, in order, one store call at a time, and never holds the
 * event loop: {@link register} resolves once the registration is durable (the root answers
 * RESACK after it); a change of position (placement, turning off, a hello path re-attached) is
 * queued as it happens and written behind, {@link persisted} resolving when it is in the store.
 * Liveness from hellos is only kept in memory and written by {@link flush}, which the service
 * calls every few seconds and which {@link close} calls last: writing every hello would cost a
 * write per node per hello interval, and a stale lastSeen on disk matters little: after a restart
 * live nodes get a fresh grace period, and a node turned off is written with its final lastSeen.
 *
 * What a crash leaves: the store holds the tree as it was after some change the root made (each
 * write is one change's nodes, atomically, in the order of the changes; batches merged while the
 * store was busy skip states, never reorder them), plus the liveness of the last flush. A write
 * that fails breaks that until the next {@link flush} writes its nodes again with their positions
 * of that moment; a tree whose stored parent chains no longer reach the root is repaired at
 * {@link restore} (those nodes come back turned off and re-advertise).
 *
 * Call {@link restore} once before use.
 * Call {@link restore} once before use.
 */
export class Registry {
  readonly #store: Store;
  readonly #writes: WriteQueue;
  readonly #tree: TreeGraph;
  readonly #onWriteFailed: (error: RootError) => void;
  /** Nodes heard from (or whose write failed) since the last flush. */
  readonly #dirty = new Set<string>();
  /** Registrations of new nodes waiting for the store, by address. */
  readonly #registering = new Map<string, Promise<boolean>>();
  /** The last position write queued. */
  #lastWrite: Promise<void> = Promise.resolve();
  #flushing: Promise<number> | undefined;
  #closed = false;

  constructor(options: RegistryOptions) {
    this.#store = options.store;
    this.#writes = new WriteQueue(options.store);
    this.#tree = new TreeGraph(options.root);
    this.#onWriteFailed = options.onWriteFailed ?? (() => {});
  }

  /** The root's key. */
  get root(): string {
    return this.#tree.root;
  }

  /**
   * The tree graph, for queries (`parentOf`, `childrenOf`, `depthOf`, `size`, `aliveCount`,
   * `maxDepth`…). Do not change it directly: changes made there are not persisted.
   */
  get graph(): TreeGraph {
    return this.#tree;
  }

  /** Nodes whose liveness is waiting for {@link flush}. */
  get pending(): number {
    return this.#dirty.size;
  }

  /** Registrations of nodes not yet registered that wait for the store. */
  get registering(): number {
    return this.#registering.size;
  }

  /** Store writes queued or in flight. */
  get queuedWrites(): number {
    return this.#writes.length;
  }

  /**
   * Loads the store into the tree. Nodes stored alive come back alive and heard from at `now`,
   * so they have a whole root timeout to say hello again (pass an earlier `now` for a shorter
   * grace period). Nodes that cannot be put back are turned off, in the store too.
   */
  async restore(now: number): Promise<RestoreReport> {
    this.#check();
    const rows = await this.#store.load();
    const entries = rows.map(({ address, parent, alive, lastSeen }) => ({
      address,
      parent,
      alive,
      lastSeen: alive ? now : lastSeen,
    }));
    const dropped = this.#tree.restore(entries);
    this.#dirty.clear();
    if (dropped.length > 0) {
      this.#persist(dropped);
      await this.persisted();
    }
    return { registered: this.#tree.size, alive: this.#tree.aliveCount, dropped };
  }

  /**
   * Registers `address` (protocol.md 5.2), durably: resolves once the store has it, then the tree
   * has it too. Idempotent: resolves to true for the one call that added the node (a second
   * Register arriving while the first waits for the store shares its write and gets false). The
   * root's own address is never registered (false). Rejects with the store's failure.
   */
  async register(address: string, now: number): Promise<boolean> {
    this.#check();
    if (address === this.#tree.root) return false;
    const waiting = this.#registering.get(address);
    if (waiting !== undefined) return waiting.then(() => false);
    if (this.#tree.has(address)) {
      // Written again, in order behind anything queued: the answer follows a durable record.
      await this.#writes.register(address, now);
      return false;
    }
    const written = this.#writes.register(address, now).then(() => {
      this.#check();
      return this.#tree.add(address, now);
    });
    this.#registering.set(address, written);
    try {
      return await written;
    } finally {
      this.#registering.delete(address);
    }
  }

  /** True when `address` is registered. */
  isRegistered(address: string): boolean {
    return this.#tree.has(address);
  }

  /**
   * Chooses a parent for `address` (protocol.md 5.3; see {@link TreeGraph.place}), records and
   * persists it, and returns the parent's key. Returns undefined when `address` is not registered
   * (the request is to be dropped and counted).
   */
  advertise(address: string, now: number, options?: PlaceOptions): string | undefined {
    this.#check();
    if (!this.#tree.has(address)) return undefined;
    const wasAlive = this.#tree.isAlive(address);
    const parent = this.#tree.place(address, now, options);
    // A detached subtree comes back with its top.
    this.#persist(wasAlive ? [address] : this.#tree.subtreeOf(address));
    return parent;
  }

  /**
   * Confirms a Reunion hello path against the tree and records it (see `TreeGraph.confirmPath`):
   * true when `keys` (originator first) is the tree as the root has it, and then every node on it
   * is heard from at `now` (persisted at the next {@link flush}); false, changing nothing,
   * otherwise.
   */
  confirmHello(keys: readonly string[], now: number): boolean {
    this.#check();
    return this.#tree.confirmPath(keys, now, this.#dirty);
  }

  /**
   * Re-attaches the nodes of a hello path that the tree has lost, as the path says (see
   * `TreeGraph.repairPath`, protocol.md 5.6.3), persists them, and returns their keys; undefined
   * when the path does not fit the tree. Call it when {@link confirmHello} failed, then confirm.
   */
  repairHello(keys: readonly string[], now: number): string[] | undefined {
    this.#check();
    const changed = this.#tree.repairPath(keys, now);
    if (changed !== undefined && changed.length > 0) this.#persist(changed);
    return changed;
  }

  /**
   * The root timeout (protocol.md 5.6.5, `TreeGraph.sweep`): turns off the nodes that failed
   * silently (each alone, its children's subtrees detached) and the detached subtrees whose top
   * did not come back in time; persists it and returns the keys turned off.
   */
  sweep(now: number, rootTimeout: number): string[] {
    return this.#leaving((detached) => this.#tree.sweep(now, rootTimeout, detached));
  }

  /**
   * A node failed (the root's connection to it failed): it alone is turned off and its children's
   * subtrees wait detached for their tops to re-attach (`TreeGraph.fail`). Persists it and
   * returns the keys turned off (`[address]`, or empty).
   */
  fail(address: string, now: number): string[] {
    return this.#leaving((detached) => this.#tree.fail(address, now, detached));
  }

  /** Runs a change that turns nodes off and detaches others, persists both, returns those off. */
  #leaving(change: (detached: string[]) => string[]): string[] {
    this.#check();
    const detached: string[] = [];
    const off = change(detached);
    if (off.length + detached.length > 0) this.#persist([...off, ...detached]);
    return off;
  }

  /**
   * Forgets the registrations of nodes out of the tree (turned off, or never placed) and not heard
   * from for more than `forgetAfter` ms before `now`, in the store first (one transaction), and
   * returns their keys. Nodes in the tree are never forgotten: the sweep turns silent ones off
   * first. A forgotten node that comes back must register again. O(registered nodes).
   */
  forget(now: number, forgetAfter: number): string[] {
    this.#check();
    const silent: string[] = [];
    for (const node of this.#tree.nodes()) {
      // A detached node is out of the tree but still part of a subtree waiting for its top.
      if (!node.alive && now - node.lastSeen > forgetAfter && !this.#tree.isDetached(node.address))
        silent.push(node.address);
    }
    if (silent.length === 0) return silent;
    // Queued before any later registration of the same address.
    this.#behind(this.#writes.forget(silent), []);
    for (const key of silent) {
      this.#tree.forget(key);
      this.#dirty.delete(key);
    }
    return silent;
  }

  /** Turns off `address` and its subtree, persists it, and returns the keys turned off. */
  turnOff(address: string): string[] {
    this.#check();
    const off = this.#tree.turnOff(address);
    if (off.length > 0) this.#persist(off);
    return off;
  }

  /** Every registered node for the topology API, in order of registration (root not included). */
  topology(): TreeNodeView[] {
    return [...this.#tree.nodes()];
  }

  /**
   * Resolves when the changes of position made so far are in the store; rejects with the store's
   * failure when the write holding the last of them failed (its nodes then wait for the next
   * {@link flush}).
   */
  persisted(): Promise<void> {
    return this.#lastWrite;
  }

  /**
   * Writes the liveness recorded since the last flush (one transaction, behind the queued
   * positions) and resolves to how many nodes were written. One flush at a time: a call while one
   * is in flight gets that one's promise. On failure the nodes wait for the next flush.
   */
  flush(): Promise<number> {
    this.#check();
    this.#flushing ??= (async () => {
      try {
        if (this.#dirty.size === 0) return 0;
        const keys = [...this.#dirty];
        this.#dirty.clear();
        this.#persist(keys);
        await this.persisted();
        return keys.length;
      } finally {
        this.#flushing = undefined;
      }
    })();
    return this.#flushing;
  }

  /** Waits for the queued writes, flushes, then closes the store. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#writes.drained();
      await this.#flushing?.catch(() => {});
      await this.flush();
    } finally {
      this.#closed = true;
      await this.#store.close();
    }
  }

  /** Queues the positions of `keys` as they are now; see {@link persisted}. */
  #persist(keys: readonly string[]): void {
    const tree = this.#tree;
    const rows: NodePosition[] = keys.map((address) => ({
      address,
      parent: tree.parentOf(address),
      alive: tree.isAlive(address),
      lastSeen: tree.lastSeenOf(address) ?? 0,
    }));
    for (const key of keys) this.#dirty.delete(key);
    this.#lastWrite = this.#behind(this.#writes.positions(rows), keys);
  }

  /** A write behind: on failure, `keys` wait for the next flush and the failure is reported. */
  #behind(write: Promise<void>, keys: readonly string[]): Promise<void> {
    const reported = write.catch((error: RootError) => {
      for (const key of keys) if (this.#tree.has(key)) this.#dirty.add(key);
      this.#onWriteFailed(error);
      throw error;
    });
    reported.catch(() => {});
    return reported;
  }

  #check(): void {
    if (this.#closed) {
      throw storeError('ERR_ROOT_STORE_CLOSED', '', 'the registry is closed');
    }
  }
}
