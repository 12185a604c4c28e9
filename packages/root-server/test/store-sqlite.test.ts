import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  isStoreError,
  RootError,
  type RootStoreErrorCode,
  type RootStoreFailure,
} from '../src/errors.js';
import { MIGRATIONS, type Migration } from '../src/store/migrations.js';
import { SqliteStore, type SqliteStoreOptions } from '../src/store/sqlite-store.js';

let dir: string;
const stores: SqliteStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'p2p-sqlite-'));
});

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  chmodSync(dir, 0o700); // some tests make it read-only
  rmSync(dir, { recursive: true, force: true });
});

function open(path: string, options?: SqliteStoreOptions): SqliteStore {
  const store = new SqliteStore(path, options);
  stores.push(store);
  return store;
}

/** The store failure `open` throws, checked for its code and a message saying what to do. */
function openError(
  path: string,
  code: RootStoreErrorCode,
  options?: SqliteStoreOptions,
): RootStoreFailure {
  try {
    open(path, options);
  } catch (error) {
    expect(isStoreError(error)).toBe(true);
    const storeError = error as RootStoreFailure;
    expect(storeError.code).toBe(code);
    expect(storeError.message).toContain(path);
    return storeError;
  }
  throw new Error(`opening ${path} did not fail`);
}

describe('SqliteStore files', () => {
  it('creates the file and its folders on first run, in WAL mode at the latest schema', async () => {
    const path = join(dir, 'a', 'b', 'root.db');
    const store = open(path);
    expect(existsSync(path)).toBe(true);
    expect(store.schemaVersion).toBe(MIGRATIONS.length);
    await store.close();
    const raw = new Database(path, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    raw.close();
  });

  it('keeps its data across close and reopen', async () => {
    const path = join(dir, 'root.db');
    const first = open(path);
    await first.register('10.0.0.1:1', 10);
    await first.register('10.0.0.2:1', 11);
    first.setPositions([
      { address: '10.0.0.1:1', parent: 'root:1', alive: true, lastSeen: 20 },
      { address: '10.0.0.2:1', parent: '10.0.0.1:1', alive: true, lastSeen: 21 },
    ]);
    await first.close();
    const second = open(path);
    expect(await second.load()).toEqual([
      { address: '10.0.0.1:1', registeredAt: 10, parent: 'root:1', alive: true, lastSeen: 20 },
      { address: '10.0.0.2:1', registeredAt: 11, parent: '10.0.0.1:1', alive: true, lastSeen: 21 },
    ]);
    expect(await second.register('10.0.0.1:1', 30)).toBe(false);
  });

  it('accepts ":memory:" without touching the disk', async () => {
    const store = open(':memory:');
    await store.register('10.0.0.1:1', 1);
    expect(await store.load()).toHaveLength(1);
  });
});

describe('SqliteStore schema migrations', () => {
  const [first] = MIGRATIONS as [Migration];
  /** The test steps applied, in the order they ran. */
  const applied: string[] = [];
  const second: Migration = {
    description: 'test: a notes table',
    up(db) {
      applied.push('second');
      db.exec('CREATE TABLE notes (text TEXT)');
    },
  };
  // Needs the table of `second`: it only works when applied after it.
  const third: Migration = {
    description: 'test: a first note',
    up(db) {
      applied.push('third');
      db.exec("INSERT INTO notes VALUES ('after second')");
    },
  };

  it('applies each missing step once, in order, and records the version', async () => {
    applied.length = 0;
    const path = join(dir, 'root.db');
    const v1 = open(path, { migrations: [first] });
    await v1.register('10.0.0.1:1', 1);
    expect(v1.schemaVersion).toBe(1);
    await v1.close();

    // Two steps missing: both applied, second before third.
    const v3 = open(path, { migrations: [first, second, third] });
    expect(v3.schemaVersion).toBe(3);
    expect(await v3.load()).toHaveLength(1);
    await v3.close();
    expect(applied).toEqual(['second', 'third']);

    await open(path, { migrations: [first, second, third] }).close();
    expect(applied).toEqual(['second', 'third']);
  });

  it('refuses a database written by a newer schema', async () => {
    const path = join(dir, 'root.db');
    await open(path, { migrations: [first, second] }).close();
    const error = openError(path, 'ERR_ROOT_STORE_VERSION', { migrations: [first] });
    expect(error.message).toMatch(/schema version 2, newer .* \(1\): upgrade/);
    expect(openError(path, 'ERR_ROOT_STORE_VERSION').message).toMatch(/upgrade/);
  });

  it('rolls back a step that fails, leaving the previous version', async () => {
    const path = join(dir, 'root.db');
    await open(path, { migrations: [first] }).close();
    const broken: Migration = {
      description: 'test: fails half-way',
      up(db) {
        db.exec('CREATE TABLE half (x)');
        throw new Error('boom');
      },
    };
    expect(() => open(path, { migrations: [first, broken] })).toThrow(RootError);
    const store = open(path, { migrations: [first] });
    expect(store.schemaVersion).toBe(1);
    await store.close();
    const raw = new Database(path, { readonly: true });
    expect(
      raw.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'half'").pluck().get(),
    ).toBe(0);
    raw.close();
  });
});

describe('SqliteStore refuses files it cannot use', () => {
  it('a file that is not a SQLite database: ERR_ROOT_STORE_CORRUPT, file untouched', async () => {
    const path = join(dir, 'root.db');
    const garbage = Buffer.from('this is not a database, just some bytes\n'.repeat(200));
    writeFileSync(path, garbage);
    const error = openError(path, 'ERR_ROOT_STORE_CORRUPT');
    expect(error.message).toMatch(/move the file away .* or pass another database path/);
    expect(readFileSync(path).equals(garbage)).toBe(true);
  });

  it("another program's SQLite database: ERR_ROOT_STORE_CORRUPT, file untouched", async () => {
    const path = join(dir, 'other.db');
    const other = new Database(path);
    other.exec('CREATE TABLE nodes (something_else TEXT)');
    await other.close();
    const before = readFileSync(path);
    expect(openError(path, 'ERR_ROOT_STORE_CORRUPT').message).toMatch(/not a p2p-root one/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('a path that is a folder, or under a file: ERR_ROOT_STORE_OPEN', async () => {
    mkdirSync(join(dir, 'folder.db'));
    expect(openError(join(dir, 'folder.db'), 'ERR_ROOT_STORE_OPEN').message).toMatch(
      /check that the path/,
    );
    writeFileSync(join(dir, 'file'), 'x');
    openError(join(dir, 'file', 'root.db'), 'ERR_ROOT_STORE_OPEN');
    expect(() => open('')).toThrow(/path is empty/);
  });

  it('a database held by another connection: ERR_ROOT_STORE_LOCKED within the busy timeout', async () => {
    const path = join(dir, 'root.db');
    await open(path).close();
    const holder = new Database(path);
    holder.exec('BEGIN EXCLUSIVE');
    try {
      const started = performance.now();
      const error = openError(path, 'ERR_ROOT_STORE_LOCKED', { busyTimeout: 100 });
      expect(performance.now() - started).toBeLessThan(2000);
      expect(error.message).toMatch(/stop the other root .* or pass another database path/);
    } finally {
      holder.exec('ROLLBACK');
      await holder.close();
    }
    await open(path).close();
  });

  it('a database another store has open: ERR_ROOT_STORE_LOCKED (exclusive by default)', async () => {
    const path = join(dir, 'root.db');
    const owner = open(path);
    openError(path, 'ERR_ROOT_STORE_LOCKED', { busyTimeout: 50 });
    await owner.close();
    await open(path, { exclusive: false }).close();
  });

  // Root writes through file modes, so as root these run as the unprivileged user "nobody".
  const asUser = (path: string) =>
    process.getuid?.() === 0 ? openAs(65534, path) : openHere(path);

  it('a read-only file: ERR_ROOT_STORE_READONLY', async () => {
    const path = join(dir, 'root.db');
    await open(path).close();
    chmodSync(path, 0o444);
    chmodSync(dir, 0o777);
    const result = asUser(path);
    expect(result.code).toBe('ERR_ROOT_STORE_READONLY');
    expect(result.message).toMatch(
      /the file is read-only .* make the file and its folder writable/,
    );
  });

  it('a read-only folder (no room for the WAL): ERR_ROOT_STORE_READONLY', async () => {
    const path = join(dir, 'root.db');
    await open(path).close();
    chmodSync(path, 0o666);
    chmodSync(dir, 0o555);
    const result = asUser(path);
    expect(result.code).toBe('ERR_ROOT_STORE_READONLY');
    expect(result.message).toMatch(/its folder is read-only/);
  });
});

function openHere(path: string): { code: string; message: string } {
  try {
    void new SqliteStore(path).close();
    return { code: 'opened', message: '' };
  } catch (error) {
    return { code: (error as RootStoreFailure).code, message: (error as Error).message };
  }
}

/** Opens the store in a child process running as `uid`, and reports how it failed. */
function openAs(uid: number, path: string): { code: string; message: string } {
  const module = resolve(import.meta.dirname, '../src/store/sqlite-store.ts');
  const script = `
    const { SqliteStore } = await import(${JSON.stringify(module)});
    try {
      new SqliteStore(${JSON.stringify(path)}).close();
      console.log(JSON.stringify({ code: 'opened', message: '' }));
    } catch (error) {
      console.log(JSON.stringify({ code: error.code, message: error.message }));
    }`;
  const child = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    {
      cwd: resolve(import.meta.dirname, '..'),
      uid,
      gid: uid,
      encoding: 'utf8',
      env: { ...process.env, HOME: tmpdir() },
      timeout: 15_000,
    },
  );
  const line = child.stdout.trim().split('\n').pop() ?? '';
  if (!line.startsWith('{')) throw new Error(`child failed: ${child.stderr || child.error}`);
  return JSON.parse(line) as { code: string; message: string };
}
