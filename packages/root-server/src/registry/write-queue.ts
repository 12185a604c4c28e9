import type { NodePosition, Store } from '../store/store.js';

type Write =
  | { kind: 'register'; address: string; now: number }
  | { kind: 'positions'; rows: Map<string, NodePosition> }
  | { kind: 'forget'; addresses: string[] };

interface Queued {
  write: Write;
  done: Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The registry's writes to its {@link Store}, one call at a time and in the order they were
 * queued, so that the store only ever goes through states the tree had (a registration before the
 * node's placement, a forget before the same address registering again). Positions queued while
 * the store is busy are merged into one batch (one transaction; a node's last position wins): the
 * store skips the states in between, never reorders them.
 */
export class WriteQueue {
  readonly #store: Store;
  readonly #queued: Queued[] = [];
  #running = false;
  #idle: Promise<void> = Promise.resolve();
  #markIdle: () => void = () => {};

  constructor(store: Store) {
    this.#store = store;
  }

  /** Writes waiting or in flight. */
  get length(): number {
    return this.#queued.length;
  }

  /** Resolves when `address` is registered in the store (true when it is new there). */
  register(address: string, now: number): Promise<boolean> {
    return this.#push({ kind: 'register', address, now }) as Promise<boolean>;
  }

  /** Resolves when `rows` (and every earlier write) are in the store. */
  positions(rows: readonly NodePosition[]): Promise<void> {
    const last = this.#queued.at(-1);
    // Merged into the batch waiting behind the one in flight: the store goes from the state
    // before both to the state after both, atomically.
    if (
      last !== undefined &&
      last.write.kind === 'positions' &&
      !(this.#running && last === this.#queued[0])
    ) {
      for (const row of rows) last.write.rows.set(row.address, row);
      return last.done as Promise<void>;
    }
    const map = new Map<string, NodePosition>();
    for (const row of rows) map.set(row.address, row);
    return this.#push({ kind: 'positions', rows: map }) as Promise<void>;
  }

  /** Resolves when the registrations of `addresses` are removed from the store. */
  forget(addresses: string[]): Promise<void> {
    return this.#push({ kind: 'forget', addresses }) as Promise<void>;
  }

  /** Resolves once every write queued so far has been tried (failed or not). */
  drained(): Promise<void> {
    return this.#idle;
  }

  #push(write: Write): Promise<unknown> {
    let resolve!: (value: unknown) => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<unknown>((yes, no) => {
      resolve = yes;
      reject = no;
    });
    // The caller may not wait (a write behind); its failure is reported by whoever waits, or not.
    done.catch(() => {});
    this.#queued.push({ write, done, resolve, reject });
    if (!this.#running) void this.#run();
    return done;
  }

  async #run(): Promise<void> {
    this.#running = true;
    this.#idle = new Promise((resolve) => {
      this.#markIdle = resolve;
    });
    for (let next = this.#queued[0]; next !== undefined; next = this.#queued[0]) {
      try {
        next.resolve(await this.#apply(next.write));
      } catch (error) {
        next.reject(error);
      }
      this.#queued.shift();
    }
    this.#running = false;
    this.#markIdle();
  }

  #apply(write: Write): Promise<unknown> {
    switch (write.kind) {
      case 'register':
        return this.#store.register(write.address, write.now);
      case 'positions': {
        const rows = [...write.rows.values()];
        const [only] = rows;
        return rows.length === 1 && only !== undefined
          ? this.#store.setPosition(only)
          : this.#store.setPositions(rows);
      }
      case 'forget':
        return this.#store.forget(write.addresses);
    }
  }
}
