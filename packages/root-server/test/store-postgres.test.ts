import { STORE_USER } from '@p2p/test-postgres';
import { afterEach, expect, it } from 'vitest';
import {
  isStoreError,
  RootError,
  type RootStoreErrorCode,
  type RootStoreFailure,
} from '../src/errors.js';
import { openStore } from '../src/store/open-store.js';
import { POSTGRES_MIGRATIONS, type PostgresMigration } from '../src/store/postgres-migrations.js';
import { PostgresStore, type PostgresStoreOptions } from '../src/store/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { describePostgres } from './postgres-describe.js';

const stores: PostgresStore[] = [];

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
});

async function open(url: string, options?: PostgresStoreOptions): Promise<PostgresStore> {
  const store = await PostgresStore.open(url, options);
  stores.push(store);
  return store;
}

/** The store failure opening `url` throws: its code, the URL without password, what to do. */
async function openError(
  url: string,
  code: RootStoreErrorCode,
  options?: PostgresStoreOptions,
): Promise<RootStoreFailure> {
  try {
    await open(url, options);
  } catch (error) {
    expect(isStoreError(error)).toBe(true);
    const storeError = error as RootStoreFailure;
    expect(storeError.code).toBe(code);
    expect(storeError.path).not.toContain(STORE_USER.password);
    expect(storeError.message).not.toContain(STORE_USER.password);
    expect(storeError.message).toContain(storeError.path);
    return storeError;
  }
  throw new Error(`opening ${url} did not fail`);
}

const [first] = POSTGRES_MIGRATIONS as [PostgresMigration];
const second: PostgresMigration = {
  description: 'test: a notes table',
  sql: 'CREATE TABLE p2p_root_notes (text text)',
};
// Needs the table of `second`: it only works when applied after it.
const third: PostgresMigration = {
  description: 'test: a first note',
  sql: "INSERT INTO p2p_root_notes VALUES ('after second')",
};

it('--db picks the store by its value: a postgres:// URL or a SQLite path', async () => {
  const sqlite = await openStore(':memory:');
  expect(sqlite).toBeInstanceOf(SqliteStore);
  await sqlite.close();
  // Refused before any connection is tried.
  await expect(openStore('postgresql://p2p@127.0.0.1:99999/p2p')).rejects.toThrow(
    /not a PostgreSQL URL/,
  );
});

describePostgres('PostgresStore', (cluster) => {
  it('creates the schema in an empty database and keeps its data across close and reopen', async () => {
    const url = await cluster().createDatabase();
    const store = await open(url);
    expect(await store.schemaVersion()).toBe(POSTGRES_MIGRATIONS.length);
    expect(store.path).toBe(url.replace(STORE_USER.password, '***'));
    await store.register('10.0.0.1:1', 1);
    await store.register('10.0.0.2:1', 2);
    await store.setPosition({
      address: '10.0.0.2:1',
      parent: '10.0.0.1:1',
      alive: true,
      lastSeen: 7,
    });
    await store.close();

    const again = await openStore(url);
    stores.push(again as PostgresStore);
    expect(again).toBeInstanceOf(PostgresStore);
    expect(await again.load()).toEqual([
      { address: '10.0.0.1:1', registeredAt: 1, parent: null, alive: false, lastSeen: 1 },
      { address: '10.0.0.2:1', registeredAt: 2, parent: '10.0.0.1:1', alive: true, lastSeen: 7 },
    ]);
    const { rows } = await cluster().query(
      url,
      'SELECT version, description FROM p2p_root_migrations ORDER BY version',
    );
    expect(rows).toEqual(
      POSTGRES_MIGRATIONS.map((step, i) => ({ version: i + 1, description: step.description })),
    );
  });

  it('applies each missing step once, in order, and records it', async () => {
    const url = await cluster().createDatabase();
    const v1 = await open(url, { migrations: [first] });
    await v1.register('10.0.0.1:1', 1);
    expect(await v1.schemaVersion()).toBe(1);
    await v1.close();

    // Two steps missing: both applied, second before third, each recorded with its version.
    const v3 = await open(url, { migrations: [first, second, third] });
    expect(await v3.schemaVersion()).toBe(3);
    expect(await v3.load()).toHaveLength(1);
    await v3.close();
    // Opening again applies nothing: a second CREATE TABLE would fail, a second INSERT would show.
    await (await open(url, { migrations: [first, second, third] })).close();
    const notes = await cluster().query(url, 'SELECT text FROM p2p_root_notes');
    expect(notes.rows).toEqual([{ text: 'after second' }]);
    const steps = await cluster().query(
      url,
      'SELECT version, description FROM p2p_root_migrations ORDER BY version',
    );
    expect(steps.rows).toEqual([
      { version: 1, description: first.description },
      { version: 2, description: second.description },
      { version: 3, description: third.description },
    ]);
  });

  it('rolls back a step that fails, leaving the previous version', async () => {
    const url = await cluster().createDatabase();
    await (await open(url, { migrations: [first] })).close();
    const broken: PostgresMigration = {
      description: 'test: fails half-way',
      sql: 'CREATE TABLE p2p_root_half (x int); SELECT 1 / 0',
    };
    await expect(open(url, { migrations: [first, broken] })).rejects.toThrow(RootError);
    expect(await (await open(url, { migrations: [first] })).schemaVersion()).toBe(1);
    const { rows } = await cluster().query(
      url,
      "SELECT count(*)::int AS n FROM pg_class WHERE relname = 'p2p_root_half'",
    );
    expect(rows).toEqual([{ n: 0 }]);
  });

  it('refuses a schema newer than the code: ERR_ROOT_STORE_VERSION, with what to do', async () => {
    const url = await cluster().createDatabase();
    await (await open(url, { migrations: [first, second] })).close();
    const error = await openError(url, 'ERR_ROOT_STORE_VERSION', { migrations: [first] });
    expect(error.message).toMatch(/schema version 2, newer .* \(1\): upgrade @p2p\/root-server/);
  });

  it("refuses another program's database and leaves it untouched: ERR_ROOT_STORE_CORRUPT", async () => {
    const url = await cluster().createDatabase();
    await cluster().query(url, 'CREATE TABLE accounts (id int); INSERT INTO accounts VALUES (1)');
    const error = await openError(url, 'ERR_ROOT_STORE_CORRUPT');
    expect(error.message).toContain('accounts');
    expect(error.message).toContain('left untouched');
    const { rows } = await cluster().query(
      url,
      "SELECT relname FROM pg_class WHERE relname LIKE 'p2p_root%' OR relname = 'accounts'",
    );
    expect(rows).toEqual([{ relname: 'accounts' }]);
  });

  it('refuses a table named like ours without our mark: ERR_ROOT_STORE_CORRUPT', async () => {
    const url = await cluster().createDatabase();
    await cluster().query(url, 'CREATE TABLE p2p_root_migrations (version int)');
    expect((await openError(url, 'ERR_ROOT_STORE_CORRUPT')).message).toContain('not ours');
  });

  it('refuses a second root on the same database: ERR_ROOT_STORE_LOCKED, until the first closes', async () => {
    const url = await cluster().createDatabase();
    const first = await open(url);
    const error = await openError(url, 'ERR_ROOT_STORE_LOCKED', { lockTimeout: 100 });
    expect(error.message).toMatch(/another p2p-root holds it \(still locked after 100 ms\)/);
    await first.close();
    expect(await (await open(url)).load()).toEqual([]);
  });

  it('a store replaced by a newer one writes nothing more: ERR_ROOT_STORE_FENCED', async () => {
    const url = await cluster().createDatabase();
    const old = await open(url, { lock: false });
    await old.register('10.0.0.1:1', 1);
    const current = await open(url, { lock: false });
    expect(current.term).toBe(old.term + 1);
    for (const write of [
      () => old.register('10.0.0.2:1', 2),
      () => old.setPosition({ address: '10.0.0.1:1', parent: 'r:1', alive: true, lastSeen: 3 }),
      () => old.forget(['10.0.0.1:1']),
    ]) {
      await expect(write()).rejects.toMatchObject({ code: 'ERR_ROOT_STORE_FENCED' });
    }
    expect(await current.register('10.0.0.3:1', 4)).toBe(true);
    expect(await current.load()).toEqual([
      { address: '10.0.0.1:1', registeredAt: 1, parent: null, alive: false, lastSeen: 1 },
      { address: '10.0.0.3:1', registeredAt: 4, parent: null, alive: false, lastSeen: 4 },
    ]);
  });

  it('bad credentials: ERR_ROOT_STORE_AUTH, the password never shown', async () => {
    const url = cluster().url('postgres', 'not-the-password');
    const error = await openError(url, 'ERR_ROOT_STORE_AUTH');
    expect(error.message).toContain('check the user and password');
    expect(error.message).not.toContain('not-the-password');
  });

  it('a database that does not exist: ERR_ROOT_STORE_OPEN, saying to create it', async () => {
    expect((await openError(cluster().url('no_such_db'), 'ERR_ROOT_STORE_OPEN')).message).toContain(
      'createdb',
    );
  });

  it('a server nobody listens on: ERR_ROOT_STORE_UNREACHABLE', async () => {
    // The cluster's port with another host is not listened on; neither is a released port.
    const { createServer } = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
    const error = await openError(
      `postgres://${STORE_USER.name}:${STORE_USER.password}@127.0.0.1:${port}/p2p`,
      'ERR_ROOT_STORE_UNREACHABLE',
    );
    expect(error.message).toContain('check that PostgreSQL runs');
  });

  it('a lost connection fails at most one call, and the next call connects again', async () => {
    const url = await cluster().createDatabase();
    const store = await open(url);
    await store.register('10.0.0.1:1', 1);
    await cluster().admin((client) =>
      client.query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'p2p-root'",
      ),
    );
    const failures: string[] = [];
    let registered = false;
    for (let attempt = 0; attempt < 2 && !registered; attempt++) {
      try {
        registered = await store.register('10.0.0.2:1', 2);
      } catch (error) {
        failures.push((error as RootStoreFailure).code);
      }
    }
    expect(registered).toBe(true);
    // At most one call failed, and it said the database was unreachable.
    expect([[], ['ERR_ROOT_STORE_UNREACHABLE']]).toContainEqual(failures);
    expect((await store.load()).map((row) => row.address)).toEqual(['10.0.0.1:1', '10.0.0.2:1']);
  });
  it('a server that stops answering fails one call after the bound; the next fail at once until it answers again', async () => {
    const url = await cluster().createDatabase();
    const store = await open(url, { timeout: 500 });
    await store.register('10.0.0.1:1', 1);
    const failures: Array<{ code: string; message: string }> = [];
    cluster().freeze();
    try {
      for (const address of ['10.0.0.2:1', '10.0.0.3:1', '10.0.0.4:1']) {
        try {
          await store.register(address, 2);
        } catch (error) {
          const { code, message } = error as RootStoreFailure;
          failures.push({ code, message });
        }
      }
    } finally {
      cluster().thaw();
    }
    expect(failures.map((failure) => failure.code)).toEqual(
      Array(3).fill('ERR_ROOT_STORE_UNREACHABLE'),
    );
    expect(failures[0]?.message).toContain('did not answer');
    for (const later of failures.slice(1)) expect(later.message).toContain('calls fail at once');
    // Connected again in the background: a call succeeds within a few attempts.
    let registered = false;
    for (const deadline = Date.now() + 15_000; !registered && Date.now() < deadline; ) {
      try {
        registered = await store.register('10.0.0.9:1', 9);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    expect(registered).toBe(true);
    expect((await store.load()).map((row) => row.address)).toEqual(['10.0.0.1:1', '10.0.0.9:1']);
  }, 30_000);
});
