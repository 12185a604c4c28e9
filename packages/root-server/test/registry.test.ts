import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatAddress } from '@p2p/codec';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RootError, storeError } from '../src/errors.js';
import { Registry } from '../src/registry/registry.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { NodePosition, Store } from '../src/store/store.js';

const ROOT = formatAddress({ host: '127.0.0.1', port: 5000 });
const key = (i: number): string => formatAddress({ host: '127.0.0.1', port: 6000 + i });

let dir: string;
const registries: Registry[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'p2p-registry-'));
});

afterEach(async () => {
  for (const registry of registries.splice(0)) await registry.close();
  rmSync(dir, { recursive: true, force: true });
});

async function registry(store: Store = new MemoryStore(), now = 0): Promise<Registry> {
  const r = new Registry({ root: ROOT, store });
  await r.restore(now);
  registries.push(r);
  return r;
}

/** A store that records every write, to see what the registry persists and when. */
class RecordingStore extends MemoryStore {
  readonly writes: NodePosition[][] = [];
  override async setPosition(position: NodePosition): Promise<void> {
    this.writes.push([position]);
    await super.setPosition(position);
  }
  override async setPositions(positions: Iterable<NodePosition>): Promise<void> {
    const batch = [...positions];
    this.writes.push(batch);
    await super.setPositions(batch);
  }
}

describe('Registry', () => {
  it('registers durably and idempotently, never the root itself', async () => {
    const store = new MemoryStore();
    const r = await registry(store);
    expect(await r.register(key(1), 5)).toBe(true);
    expect(await r.register(key(1), 6)).toBe(false);
    expect(await r.register(ROOT, 6)).toBe(false);
    expect(r.isRegistered(key(1))).toBe(true);
    expect(r.isRegistered(ROOT)).toBe(false);
    expect((await store.load()).map((row) => row.address)).toEqual([key(1)]);
  });

  it('drops Advertise from unregistered addresses', async () => {
    const r = await registry();
    expect(r.advertise(key(1), 0)).toBeUndefined();
    expect(r.advertise(ROOT, 0)).toBeUndefined();
    expect(r.graph.aliveCount).toBe(0);
  });

  it('places breadth-first and persists each placement at once', async () => {
    const store = new RecordingStore();
    const r = await registry(store);
    const parents: Array<string | undefined> = [];
    for (const i of [1, 2, 3, 4, 5]) {
      await r.register(key(i), i);
      parents.push(r.advertise(key(i), 10 + i));
    }
    expect(parents).toEqual([ROOT, ROOT, key(1), key(1), key(2)]);
    await r.persisted();
    expect(store.writes).toHaveLength(5);
    expect((await store.load())[4]).toEqual({
      address: key(5),
      registeredAt: 5,
      parent: key(2),
      alive: true,
      lastSeen: 15,
    });
  });

  it('keeps hello liveness in memory until flush', async () => {
    const store = new RecordingStore();
    const r = await registry(store);
    for (const i of [1, 2, 3]) {
      await r.register(key(i), 0);
      r.advertise(key(i), 0);
    }
    store.writes.length = 0;
    expect(r.confirmHello([key(3), key(1)], 100)).toBe(true);
    expect(r.confirmHello([key(2)], 120)).toBe(true);
    // A path that is not the tree records nothing.
    expect(r.confirmHello([key(9), key(2)], 130)).toBe(false);
    expect(r.confirmHello([key(3), key(2)], 130)).toBe(false);
    expect(store.writes).toHaveLength(0);
    expect(r.pending).toBe(3);
    expect(await r.flush()).toBe(3);
    expect(store.writes).toHaveLength(1);
    expect((await store.load()).map((row) => row.lastSeen)).toEqual([100, 120, 100]);
    expect(await r.flush()).toBe(0);
  });

  it("sweeps, detaching the failed node's subtrees, and turns off subtrees, persisting each change in one batch", async () => {
    const store = new RecordingStore();
    const r = await registry(store);
    for (const i of [1, 2, 3, 4, 5]) {
      await r.register(key(i), 0);
      r.advertise(key(i), 0);
    }
    // root: 1, 2; 1: 3, 4; 2: 5
    expect(r.confirmHello([key(5), key(2)], 30)).toBe(true);
    store.writes.length = 0;
    // 1 failed (its parent, the root, did not): it alone is turned off; 3 and 4 wait detached.
    expect(r.sweep(40, 36)).toEqual([key(1)]);
    expect(r.graph.isDetached(key(3))).toBe(true);
    await r.persisted();
    expect(store.writes).toHaveLength(1);
    expect(r.turnOff(key(2))).toEqual([key(2), key(5)]);
    expect(r.turnOff(key(2))).toEqual([]);
    await r.persisted();
    expect(store.writes).toHaveLength(2);
    expect(await store.load()).toHaveLength(5);
    expect((await store.load()).every((row) => !row.alive && row.parent === null)).toBe(true);
    expect(r.pending).toBe(0);
    const rows = r.topology();
    expect(rows.map((row) => [row.address, row.alive, row.lastSeen])).toEqual([
      [key(1), false, 0],
      [key(2), false, 30],
      [key(3), false, 0],
      [key(4), false, 0],
      [key(5), false, 30],
    ]);
  });

  it('keeps a failed write for the next flush, and reports it', async () => {
    let fail = true;
    class FlakyStore extends MemoryStore {
      override async setPosition(position: NodePosition): Promise<void> {
        if (fail) throw storeError('ERR_ROOT_STORE_IO', ':memory:', 'disk full');
        await super.setPosition(position);
      }
    }
    const store = new FlakyStore();
    const failures: RootError[] = [];
    const r = new Registry({ root: ROOT, store, onWriteFailed: (error) => failures.push(error) });
    registries.push(r);
    await r.restore(0);
    await r.register(key(1), 0);
    expect(r.advertise(key(1), 1)).toBe(ROOT);
    await expect(r.persisted()).rejects.toThrow(/disk full/);
    expect(failures.map((error) => error.code)).toEqual(['ERR_ROOT_STORE_IO']);
    expect(r.graph.parentOf(key(1))).toBe(ROOT);
    fail = false;
    expect(r.pending).toBe(1);
    await r.flush();
    expect((await store.load())[0]).toMatchObject({ parent: ROOT, alive: true });
  });

  it('closes idempotently, flushing first', async () => {
    const store = new MemoryStore();
    const r = new Registry({ root: ROOT, store });
    await r.restore(0);
    await r.register(key(1), 0);
    r.advertise(key(1), 0);
    r.confirmHello([key(1)], 50);
    await r.close();
    await r.close();
    await expect(r.register(key(2), 0)).rejects.toThrow(RootError);
    await expect(store.load()).rejects.toThrow(/closed/);
  });
  it('forgets nodes out of the tree and silent for longer than forgetAfter, in the store too', async () => {
    const store = new MemoryStore();
    const r = await registry(store);
    await r.register(key(1), 0); // placed, then turned off at 1_000
    r.advertise(key(1), 1_000);
    await r.register(key(2), 0); // placed and still in the tree, though silent
    r.advertise(key(2), 0);
    await r.register(key(3), 500); // registered, never placed
    expect(r.turnOff(key(1))).toEqual([key(1)]);

    expect(r.forget(2_000, 1_500)).toEqual([]);
    expect(r.forget(2_001, 1_500)).toEqual([key(3)]);
    expect(r.forget(2_501, 1_500)).toEqual([key(1)]);
    expect(r.isRegistered(key(1))).toBe(false);
    expect(r.isRegistered(key(3))).toBe(false);
    expect(r.isRegistered(key(2))).toBe(true);
    expect(r.graph.verify()).toEqual([]);
    await r.persisted();
    expect((await store.load()).map((row) => row.address)).toEqual([key(2)]);
    // Back after being forgotten: a new registration.
    expect(await r.register(key(1), 3_000)).toBe(true);
  });
});

describe('Registry restart', () => {
  it('reopens the same tree from a SQLite file', async () => {
    const path = join(dir, 'db', 'root.db');
    const before = new Registry({ root: ROOT, store: new SqliteStore(path) });
    await before.restore(0);
    for (let i = 1; i <= 30; i++) {
      await before.register(key(i), i);
      before.advertise(key(i), 100 + i);
    }
    before.turnOff(key(4)); // 4 and its subtree off
    await before.register(key(40), 200); // registered, never placed
    before.advertise(key(4), 300); // back, elsewhere
    expect(before.confirmHello([key(30), key(14), key(6), key(2)], 400)).toBe(true);
    const tree = before.topology();
    const depth = before.graph.maxDepth;
    await before.close();

    const after = new Registry({ root: ROOT, store: new SqliteStore(path) });
    registries.push(after);
    const report = await after.restore(1000);
    expect(report).toEqual({
      registered: 31,
      alive: tree.filter((n) => n.alive).length,
      dropped: [],
    });
    const rows = after.topology();
    expect(rows.map(({ address, parent, alive }) => ({ address, parent, alive }))).toEqual(
      tree.map(({ address, parent, alive }) => ({ address, parent, alive })),
    );
    // Live nodes get a grace period from the restart; turned-off ones keep their last sighting.
    for (const row of rows) {
      const old = tree.find((n) => n.address === row.address);
      expect(row.lastSeen).toBe(row.alive ? 1000 : old?.lastSeen);
    }
    expect(after.graph.maxDepth).toBe(depth);
    expect(after.graph.verify()).toEqual([]);
    expect(after.sweep(1036, 36)).toEqual([]);
    // Placement carries on breadth-first from the restored tree.
    const graph = after.graph;
    const open = [ROOT, ...rows.filter((n) => n.alive).map((n) => n.address)].filter(
      (k) => graph.childrenOf(k).length < 2,
    );
    const shallowest = Math.min(...open.map((k) => graph.depthOf(k) as number));
    await after.register(key(41), 1001);
    const parent = after.advertise(key(41), 1001) as string;
    expect(graph.depthOf(parent)).toBe(shallowest);
  });

  it('turns off, in the store too, nodes that no longer hang from the root', async () => {
    const path = join(dir, 'root.db');
    const before = new Registry({ root: ROOT, store: new SqliteStore(path) });
    await before.restore(0);
    await before.register(key(1), 0);
    await before.register(key(2), 0);
    before.advertise(key(1), 0);
    before.advertise(key(2), 0);
    await before.close();

    // The root comes back on another address: nobody's parent chain reaches it.
    const other = formatAddress({ host: '127.0.0.1', port: 5001 });
    const after = new Registry({ root: other, store: new SqliteStore(path) });
    const report = await after.restore(10);
    expect(report).toEqual({ registered: 2, alive: 0, dropped: [key(1), key(2)] });
    await after.close();
    const store = new SqliteStore(path);
    expect((await store.load()).map((row) => row.alive)).toEqual([false, false]);
    await store.close();
  });
});

/** A store whose calls wait until released, to see what the registry does meanwhile. */
class GatedStore extends MemoryStore {
  readonly calls: string[] = [];
  #open: Promise<void> = Promise.resolve();
  #release: () => void = () => {};
  inFlight = 0;
  maxInFlight = 0;

  hold(): void {
    this.#open = new Promise((resolve) => {
      this.#release = resolve;
    });
  }

  release(): void {
    this.#release();
  }

  async #gate(call: string): Promise<void> {
    this.calls.push(call);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await this.#open;
    this.inFlight--;
  }

  override async register(address: string, now: number): Promise<boolean> {
    await this.#gate(`register ${address}`);
    return super.register(address, now);
  }

  override async setPositions(positions: Iterable<NodePosition>): Promise<void> {
    const batch = [...positions];
    await this.#gate(`positions ${batch.map((p) => p.address).join(' ')}`);
    await super.setPositions(batch);
  }

  override setPosition(position: NodePosition): Promise<void> {
    return this.setPositions([position]);
  }

  override async forget(addresses: Iterable<string>): Promise<void> {
    const keys = [...addresses];
    await this.#gate(`forget ${keys.join(' ')}`);
    await super.forget(keys);
  }
}

describe('Registry writes without blocking', () => {
  it('adds a node only once its registration is in the store, and answers a second Register of it once', async () => {
    const store = new GatedStore();
    const r = await registry(store);
    store.hold();
    const first = r.register(key(1), 1);
    const second = r.register(key(1), 2);
    expect(r.isRegistered(key(1))).toBe(false);
    expect(r.registering).toBe(1);
    store.release();
    expect(await Promise.all([first, second])).toEqual([true, false]);
    expect(r.isRegistered(key(1))).toBe(true);
    expect(store.calls).toEqual([`register ${key(1)}`]);
  });

  it('writes one call at a time, in order, merging positions queued while the store is busy', async () => {
    const store = new GatedStore();
    const r = await registry(store);
    for (const i of [1, 2, 3]) await r.register(key(i), i);
    store.hold();
    r.advertise(key(1), 10); // in flight
    r.advertise(key(2), 11); // waits, then is joined by the next two
    r.advertise(key(3), 12);
    r.advertise(key(1), 13);
    expect(store.inFlight).toBe(1);
    store.release();
    await r.persisted();
    expect(store.maxInFlight).toBe(1);
    expect(store.calls.slice(3)).toEqual([
      `positions ${key(1)}`,
      `positions ${key(2)} ${key(3)} ${key(1)}`,
    ]);
    expect((await store.load()).map((row) => row.lastSeen)).toEqual([13, 11, 12]);
  });

  it('forgets before the same address registers again', async () => {
    const store = new GatedStore();
    const r = await registry(store);
    await r.register(key(1), 0);
    store.hold();
    expect(r.forget(100, 50)).toEqual([key(1)]);
    const again = r.register(key(1), 100);
    store.release();
    expect(await again).toBe(true);
    expect(store.calls.slice(1)).toEqual([`forget ${key(1)}`, `register ${key(1)}`]);
    expect(await store.load()).toMatchObject([{ address: key(1), registeredAt: 100 }]);
  });

  it('runs one flush at a time', async () => {
    const store = new GatedStore();
    const r = await registry(store);
    await r.register(key(1), 0);
    r.advertise(key(1), 0);
    await r.persisted();
    r.confirmHello([key(1)], 50);
    store.hold();
    const first = r.flush();
    r.confirmHello([key(1)], 60);
    const second = r.flush();
    expect(second).toBe(first);
    store.release();
    expect(await first).toBe(1);
    expect(r.pending).toBe(1);
    expect(await r.flush()).toBe(1);
    expect((await store.load())[0]?.lastSeen).toBe(60);
  });
});
