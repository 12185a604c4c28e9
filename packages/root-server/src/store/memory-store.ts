import { storeError } from '../errors.js';
import type { NodePosition, Store, StoredNode } from './store.js';

/** A {@link Store} in memory: nothing survives the process. For tests and throwaway roots. */
export class MemoryStore implements Store {
  readonly #rows = new Map<string, StoredNode>();
  #closed = false;

  register(address: string, now: number): boolean {
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

  setPosition(position: NodePosition): void {
    this.#check();
    this.#write(position);
  }

  setPositions(positions: Iterable<NodePosition>): void {
    this.#check();
    for (const position of positions) this.#write(position);
  }

  forget(addresses: Iterable<string>): void {
    this.#check();
    for (const address of addresses) this.#rows.delete(address);
  }

  load(): StoredNode[] {
    this.#check();
    return [...this.#rows.values()].map((row) => ({ ...row }));
  }

  close(): void {
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
