import { afterEach, expect, it } from 'vitest';
import { PostgresFollower } from '../src/store/postgres-follower.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { describePostgres } from './postgres-describe.js';

const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

describePostgres("a standby's warm copy of the tree", (cluster) => {
  it('follows registrations, positions and forgets, and equals what the store loads', async () => {
    const url = await cluster().createDatabase();
    const store = await PostgresStore.open(url);
    closers.push(() => store.close());
    const follower = new PostgresFollower(url);
    closers.push(() => follower.close());

    await follower.catchUp();
    expect(follower.nodes()).toEqual([]);
    for (const [i, address] of ['10.0.0.1:1', '10.0.0.2:1', '10.0.0.3:1'].entries())
      await store.register(address, i);
    await follower.catchUp();
    expect(follower.nodes()).toEqual(await store.load());

    // Only a change since the last read, then a row deleted: the copy still equals the table.
    await store.setPosition({ address: '10.0.0.2:1', parent: 'r:1', alive: true, lastSeen: 9 });
    await follower.catchUp();
    expect(follower.nodes()).toEqual(await store.load());
    await store.forget(['10.0.0.1:1']);
    await follower.catchUp();
    expect(follower.nodes()).toEqual(await store.load());
    // Forgotten, then registered again: a new registration, last in order.
    await store.forget(['10.0.0.2:1']);
    await store.register('10.0.0.2:1', 20);
    await follower.catchUp();
    expect(follower.nodes().map((row) => row.address)).toEqual(['10.0.0.3:1', '10.0.0.2:1']);
    expect(follower.nodes()).toEqual(await store.load());
  });

  it('reads only the rows written since its last read', async () => {
    const url = await cluster().createDatabase();
    const store = await PostgresStore.open(url);
    closers.push(() => store.close());
    const follower = new PostgresFollower(url);
    closers.push(() => follower.close());
    await store.register('10.0.0.1:1', 1);
    await follower.catchUp();
    // A row changed behind the store's back, without a new change number, is not read again.
    await cluster().query(url, "UPDATE p2p_root_nodes SET parent = 'sneaked:1'");
    await store.register('10.0.0.2:1', 2);
    await follower.catchUp();
    expect(follower.nodes().map((row) => row.parent)).toEqual([null, null]);
  });
});
