import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RootError } from '../src/errors.js';
import { MemoryStore } from '../src/store/memory-store.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import type { NodePosition, Store } from '../src/store/store.js';
import { describePostgres } from './postgres-describe.js';

const dirs: string[] = [];
const stores: Store[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const implementations: Array<[string, () => Store]> = [
  ['MemoryStore', () => new MemoryStore()],
  ['SqliteStore in memory', () => new SqliteStore(':memory:')],
  [
    'SqliteStore in a file',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'p2p-store-'));
      dirs.push(dir);
      return new SqliteStore(join(dir, 'root.db'));
    },
  ],
];

for (const [name, create] of implementations) {
  describe(`Store conformance: ${name}`, () => conformance(async () => create()));
}

describePostgres('Store conformance: PostgresStore', (cluster) => {
  // A fresh database for every test, as a fresh file is for SQLite.
  conformance(async () => PostgresStore.open(await cluster().createDatabase()));
});

/** The behaviour every Store shows, whatever keeps it. */
function conformance(create: () => Promise<Store>): void {
  const open = async (): Promise<Store> => {
    const store = await create();
    stores.push(store);
    return store;
  };

  it('registers idempotently, keeping the first registration time', async () => {
    const store = await open();
    expect(await store.register('10.0.0.1:1', 100)).toBe(true);
    expect(await store.register('10.0.0.1:1', 200)).toBe(false);
    expect(await store.load()).toEqual([
      { address: '10.0.0.1:1', registeredAt: 100, parent: null, alive: false, lastSeen: 100 },
    ]);
  });

  it('loads in order of registration', async () => {
    const store = await open();
    const addresses = ['10.0.0.9:1', '10.0.0.1:1', '10.0.0.5:1', '10.0.0.1:2'];
    for (const [i, address] of addresses.entries()) await store.register(address, i);
    await store.register('10.0.0.1:1', 99);
    expect((await store.load()).map((row) => row.address)).toEqual(addresses);
  });

  it('writes one position, and ignores positions of unregistered addresses', async () => {
    const store = await open();
    await store.register('10.0.0.1:1', 1);
    await store.register('10.0.0.2:1', 2);
    await store.setPosition({
      address: '10.0.0.2:1',
      parent: '10.0.0.1:1',
      alive: true,
      lastSeen: 5,
    });
    await store.setPosition({ address: '10.0.0.3:1', parent: null, alive: true, lastSeen: 5 });
    await store.setPosition({
      address: '10.0.0.1:1',
      parent: 'root:1',
      alive: false,
      lastSeen: 4.5,
    });
    expect(await store.load()).toEqual([
      { address: '10.0.0.1:1', registeredAt: 1, parent: 'root:1', alive: false, lastSeen: 4.5 },
      { address: '10.0.0.2:1', registeredAt: 2, parent: '10.0.0.1:1', alive: true, lastSeen: 5 },
    ]);
  });

  it('writes a batch of positions from any iterable', async () => {
    const store = await open();
    const count = 2000;
    for (let i = 0; i < count; i++) await store.register(`10.0.${i >> 8}.${i & 255}:1`, i);
    function* positions(): Generator<NodePosition> {
      for (let i = 0; i < count; i++) {
        yield {
          address: `10.0.${i >> 8}.${i & 255}:1`,
          parent: 'root:1',
          alive: i % 2 === 0,
          lastSeen: -i,
        };
      }
    }
    await store.setPositions(positions());
    await store.setPositions([]);
    const rows = await store.load();
    expect(rows).toHaveLength(count);
    expect(rows[7]).toEqual({
      address: '10.0.0.7:1',
      registeredAt: 7,
      parent: 'root:1',
      alive: false,
      lastSeen: -7,
    });
    expect(rows.filter((row) => row.alive)).toHaveLength(count / 2);
  });

  it('forgets registrations in one call, ignoring unknown addresses', async () => {
    const store = await open();
    for (const [i, address] of ['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1'].entries())
      await store.register(address, i);
    await store.setPosition({ address: '10.0.0.2:1', parent: 'root:1', alive: false, lastSeen: 9 });
    await store.forget(new Set(['10.0.0.2:1', '10.0.0.9:1']));
    await store.forget([]);
    expect((await store.load()).map((row) => row.address)).toEqual(['10.0.0.1:1', '10.0.0.3:1']);
    // Registering again after being forgotten is a new registration, at the end of the order.
    expect(await store.register('10.0.0.2:1', 20)).toBe(true);
    expect((await store.load()).at(-1)).toEqual({
      address: '10.0.0.2:1',
      registeredAt: 20,
      parent: null,
      alive: false,
      lastSeen: 20,
    });
  });

  it('answers overlapping calls, each with its own result', async () => {
    const store = await open();
    const results = await Promise.all([
      store.register('10.0.0.1:1', 1),
      store.register('10.0.0.2:1', 2),
      store.register('10.0.0.1:1', 3),
    ]);
    expect(results.filter(Boolean)).toHaveLength(2);
    expect((await store.load()).map((row) => row.address).sort()).toEqual([
      '10.0.0.1:1',
      '10.0.0.2:1',
    ]);
  });

  it('hands out copies', async () => {
    const store = await open();
    await store.register('10.0.0.1:1', 1);
    const [row] = await store.load();
    if (row) row.alive = true;
    expect((await store.load())[0]?.alive).toBe(false);
  });

  it('closes idempotently and refuses use after close', async () => {
    const store = await open();
    await store.close();
    await store.close();
    for (const use of [
      () => store.register('10.0.0.1:1', 1),
      () => store.load(),
      () => store.setPosition({ address: '10.0.0.1:1', parent: null, alive: false, lastSeen: 1 }),
      () => store.setPositions([]),
      () => store.forget(['10.0.0.1:1']),
    ]) {
      await expect(use()).rejects.toMatchObject({ code: 'ERR_ROOT_STORE_CLOSED' });
      await expect(use()).rejects.toBeInstanceOf(RootError);
    }
  });
}
