import { storeError } from '../errors.js';
import type { NodePosition, Store, StoredNode } from './store.js';

/** A {@link Store} in memory: nothing survives the process. For tests and throwaway roots. */
export class MemoryStore implements Store {
  readonly #rows = new Map<string, StoredNode>();
  #closed = false;

  async register(address: string, now: number): Promise<boolean> {
    this.#check();
    if (this.#rows.has(address)) return false;
    this.#rows.set(address, {
      address,
      registeredAt: now,
      parent: null,
      alive: false,
      lastSeen: now,
    });
    return true;
  }

  async setPosition(position: NodePosition): Promise<void> {
    this.#check();
    this.#write(position);
  }

  async setPositions(positions: Iterable<NodePosition>): Promise<void> {
    this.#check();
    for (const position of positions) this.#write(position);
  }

  async forget(addresses: Iterable<string>): Promise<void> {
    this.#check();
    for (const address of addresses) this.#rows.delete(address);
  }

  async load(): Promise<StoredNode[]> {
    this.#check();
    return [...this.#rows.values()].map((row) => ({ ...row }));
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  #write(position: NodePosition): void {
    const row = this.#rows.get(position.address);
    if (row === undefined) return;
    row.parent = position.parent;
    row.alive = position.alive;
    row.lastSeen = position.lastSeen;
  }

  #check(): void {
    if (this.#closed) {
      throw storeError('ERR_ROOT_STORE_CLOSED', ':memory:', 'the memory store is closed');
    }
  }
}
