import type { NodePosition, Store, StoredNode } from './store.js';

/**
 * A {@link Store} whose first `load` returns rows already in memory (a standby's warm copy) instead
 * of reading them; every other call, and later loads, go to `store`.
 */
export class PreloadedStore implements Store {
  readonly #store: Store;
  #rows: StoredNode[] | undefined;

  constructor(store: Store, rows: StoredNode[]) {
    this.#store = store;
    this.#rows = rows;
  }

  register(address: string, now: number): Promise<boolean> {
    return this.#store.register(address, now);
  }

  setPosition(position: NodePosition): Promise<void> {
    return this.#store.setPosition(position);
  }

  setPositions(positions: Iterable<NodePosition>): Promise<void> {
    return this.#store.setPositions(positions);
  }

  forget(addresses: Iterable<string>): Promise<void> {
    return this.#store.forget(addresses);
  }

  async load(): Promise<StoredNode[]> {
    const rows = this.#rows;
    this.#rows = undefined;
    return rows ?? this.#store.load();
  }

  close(): Promise<void> {
    this.#rows = undefined;
    return this.#store.close();
  }
}
