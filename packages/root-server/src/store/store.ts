/** A registered node as persisted: its registration and its last known position in the tree. */
export interface StoredNode {
  /** The node's `'HOST:PORT'` key. */
  address: string;
  /** When it first registered (ms, the caller's clock). */
  registeredAt: number;
  /** Its parent's key; null when it is not in the tree. */
  parent: string | null;
  /** True while it is in the tree. */
  alive: boolean;
  /** When it was last heard from (ms); persisted lazily, see `Registry.flush`. */
  lastSeen: number;
}

/** A position to persist for a registered node. */
export type NodePosition = Omit<StoredNode, 'registeredAt'>;

/**
 * Where the root keeps its registry so that a restart forgets nobody. Implementations:
 * `MemoryStore` (tests, `':memory:'`-like use), `SqliteStore` (a file) and `PostgresStore`.
 *
 * Every method returns a promise: a write has happened (atomically) when its promise resolves.
 * The root never waits on a store synchronously: it awaits registrations before answering, and
 * queues positions and liveness behind them, one call at a time, in order (see `Registry`), so an
 * implementation need not serve overlapping calls in order itself. Failures reject with
 * `RootError` (`ERR_ROOT_STORE_*`); every method but `close` rejects with `ERR_ROOT_STORE_CLOSED`
 * after `close`.
 */
export interface Store {
  /**
   * Records `address` as registered at `now`, durably. Idempotent: registering again changes
   * nothing and resolves to false; resolves to true when the node is new.
   */
  register(address: string, now: number): Promise<boolean>;
  /** Persists one node's position. Positions of unregistered addresses are ignored. */
  setPosition(position: NodePosition): Promise<void>;
  /** Persists several positions atomically (one transaction), e.g. a subtree turned off. */
  setPositions(positions: Iterable<NodePosition>): Promise<void>;
  /**
   * Removes the registrations of `addresses` (with their positions) atomically, one transaction.
   * Unknown addresses are ignored. A forgotten address that registers again is a new node.
   */
  forget(addresses: Iterable<string>): Promise<void>;
  /** Every registered node, in order of registration. */
  load(): Promise<StoredNode[]>;
  /** Releases the store (its file, its connection). Idempotent. */
  close(): Promise<void>;
}
