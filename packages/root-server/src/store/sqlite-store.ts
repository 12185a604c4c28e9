import { accessSync, constants, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import {
  isStoreError,
  type RootStoreErrorCode,
  type RootStoreFailure,
  storeClosedError,
  storeError,
} from '../errors.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import type { NodePosition, Store, StoredNode } from './store.js';

/** Marks a database as ours (`PRAGMA application_id`): the ASCII bytes `P2PR`. */
const APPLICATION_ID = 0x50325052;

/** Options of {@link SqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * How long (ms) to wait for a lock held by another connection before failing with
   * `ERR_ROOT_STORE_LOCKED`. Default 2000.
   */
  busyTimeout?: number;
  /**
   * Hold the database exclusively while the store is open (default true), so that a second root
   * started on the same file fails with `ERR_ROOT_STORE_LOCKED` instead of both writing to it. Set
   * false to let other programs (e.g. `sqlite3`) read the file while the root runs.
   */
  exclusive?: boolean;
  /** The schema's steps; for tests of upgrades. Default: this version's {@link MIGRATIONS}. */
  migrations?: readonly Migration[];
}

interface Row {
  address: string;
  registered_at: number;
  parent: string | null;
  alive: number;
  last_seen: number;
}

/**
 * A {@link Store} in a SQLite file (better-sqlite3): WAL journal, a versioned schema
 * (`PRAGMA user_version`, upgraded in one transaction on open), prepared statements, and batches
 * written in one transaction.
 *
 * Durability: registrations are committed with `synchronous = FULL` (they survive a power loss:
 * a peer that was told "registered" must stay registered), positions with `NORMAL` (they survive
 * a crash of the process; a power loss may undo the last few, which the nodes repair by
 * re-advertising).
 *
 * Opening fails with a store failure ({@link RootError}, `ERR_ROOT_STORE_*`) whose message says what to do: `ERR_ROOT_STORE_OPEN`
 * (folder or file cannot be created or opened), `ERR_ROOT_STORE_CORRUPT` (not a SQLite database,
 * damaged, or another program's database — the file is left untouched), `ERR_ROOT_STORE_READONLY`,
 * `ERR_ROOT_STORE_LOCKED` (after `busyTimeout`), `ERR_ROOT_STORE_VERSION` (written by a newer version).
 */
export class SqliteStore implements Store {
  /** The path given (`':memory:'` for a database in memory). */
  readonly path: string;
  readonly #db: Database.Database;
  readonly #busyTimeout: number;
  readonly #insert: Database.Statement<[string, number, number]>;
  readonly #update: Database.Statement<[string | null, number, number, string]>;
  readonly #select: Database.Statement<[], Row>;
  readonly #delete: Database.Statement<[string]>;
  readonly #updateMany: (positions: Iterable<NodePosition>) => void;
  readonly #deleteMany: (addresses: Iterable<string>) => void;
  #closed = false;

  /**
   * Opens (creating it and its parent folders on first run) the database at `path`, upgrading
   * its schema when it is older than this version's.
   *
   * @throws RootError see the class description.
   */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.path = path;
    this.#busyTimeout = options.busyTimeout ?? 2000;
    const migrations = options.migrations ?? MIGRATIONS;
    if (path === '') {
      throw storeError(
        'ERR_ROOT_STORE_OPEN',
        path,
        'the root database path is empty: pass a file path or ":memory:"',
      );
    }
    const inMemory = path === ':memory:';
    if (!inMemory) {
      try {
        mkdirSync(dirname(resolve(path)), { recursive: true });
      } catch (error) {
        throw this.#error(error, 'create the folder of');
      }
      this.#checkWritable();
    }
    let db: Database.Database;
    try {
      db = new Database(path, { timeout: this.#busyTimeout });
    } catch (error) {
      throw this.#error(error, 'open');
    }
    try {
      // Exclusive locking must be chosen before the first read, and before WAL so that no
      // shared-memory file is needed.
      if (options.exclusive ?? true) db.pragma('locking_mode = EXCLUSIVE');
      // Read-only checks first: a file that is not ours must be left byte for byte as it was,
      // and switching to WAL rewrites the header.
      const version = this.#identify(db, migrations.length);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      this.#migrate(db, migrations, version);
      this.#insert = db.prepare(
        'INSERT INTO nodes (address, registered_at, parent, alive, last_seen) VALUES (?, ?, NULL, 0, ?) ON CONFLICT (address) DO NOTHING',
      );
      this.#update = db.prepare(
        'UPDATE nodes SET parent = ?, alive = ?, last_seen = ? WHERE address = ?',
      );
      this.#select = db.prepare<[], Row>(
        'SELECT address, registered_at, parent, alive, last_seen FROM nodes ORDER BY rowid',
      );
      this.#delete = db.prepare<[string]>('DELETE FROM nodes WHERE address = ?');
    } catch (error) {
      db.close();
      throw this.#error(error, 'open');
    }
    const update = this.#update;
    this.#updateMany = db.transaction((positions: Iterable<NodePosition>) => {
      for (const p of positions) update.run(p.parent, p.alive ? 1 : 0, p.lastSeen, p.address);
    });
    const remove = this.#delete;
    this.#deleteMany = db.transaction((addresses: Iterable<string>) => {
      for (const address of addresses) remove.run(address);
    });
    this.#db = db;
  }

  /** The schema version of the open database (`PRAGMA user_version`). */
  get schemaVersion(): number {
    this.#check();
    return this.#db.pragma('user_version', { simple: true }) as number;
  }

  async register(address: string, now: number): Promise<boolean> {
    return this.#use('register a node in', () => {
      this.#db.pragma('synchronous = FULL');
      try {
        return this.#insert.run(address, now, now).changes === 1;
      } finally {
        this.#db.pragma('synchronous = NORMAL');
      }
    });
  }

  async setPosition(position: NodePosition): Promise<void> {
    this.#use('write a position to', () => {
      const { parent, alive, lastSeen, address } = position;
      this.#update.run(parent, alive ? 1 : 0, lastSeen, address);
    });
  }

  async setPositions(positions: Iterable<NodePosition>): Promise<void> {
    this.#use('write positions to', () => this.#updateMany(positions));
  }

  async forget(addresses: Iterable<string>): Promise<void> {
    this.#use('forget nodes in', () => this.#deleteMany(addresses));
  }

  async load(): Promise<StoredNode[]> {
    return this.#use('read', () =>
      this.#select.all().map((row) => ({
        address: row.address,
        registeredAt: row.registered_at,
        parent: row.parent,
        alive: row.alive === 1,
        lastSeen: row.last_seen,
      })),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  /**
   * Fails early, with ERR_ROOT_STORE_READONLY, when the file or its folder (where the WAL lives) cannot
   * be written: SQLite would otherwise open the file read-only and fail later with a vaguer error.
   * File modes do not stop root, and neither does this check; the open's write probe still does.
   */
  #checkWritable(): void {
    const path = resolve(this.path);
    const readonly = (what: string, error: unknown) =>
      storeError(
        'ERR_ROOT_STORE_READONLY',
        this.path,
        `cannot write the root database ${this.path}: ${what} is read-only for this user; make the file and its folder writable, or pass another database path`,
        { cause: error },
      );
    try {
      accessSync(dirname(path), constants.W_OK);
    } catch (error) {
      throw readonly('its folder', error);
    }
    try {
      accessSync(path, constants.R_OK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw this.#error(error, 'read');
    }
    try {
      accessSync(path, constants.W_OK);
    } catch (error) {
      throw readonly('the file', error);
    }
  }

  /** Checks that the database is empty or ours and not newer than `latest`; returns its version. */
  #identify(db: Database.Database, latest: number): number {
    const applicationId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    if (applicationId !== 0 && applicationId !== APPLICATION_ID) {
      throw this.#foreign('another program marked it as its own (application_id)');
    }
    if (version > latest) {
      throw storeError(
        'ERR_ROOT_STORE_VERSION',
        this.path,
        `the root database ${this.path} has schema version ${version}, newer than this version of @p2p/root-server knows (${latest}): upgrade @p2p/root-server, or pass another database path`,
      );
    }
    if (version === 0) {
      const tables = db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() as number;
      if (tables > 0) throw this.#foreign('it has tables but no schema version');
    } else if (applicationId !== APPLICATION_ID) {
      throw this.#foreign('it has a schema version but not our application_id');
    }
    return version;
  }

  /**
   * Brings the schema from `version` up to date in one write transaction. The write happens even
   * when there is nothing to migrate: it takes the lock now (exclusive mode) and reveals a
   * read-only or locked database at open rather than at the first registration.
   */
  #migrate(db: Database.Database, migrations: readonly Migration[], version: number): void {
    db.transaction(() => {
      for (const step of migrations.slice(version)) step.up(db);
      db.pragma(`application_id = ${APPLICATION_ID}`);
      db.pragma(`user_version = ${migrations.length}`);
    }).immediate();
  }

  #foreign(why: string): RootStoreFailure {
    return storeError(
      'ERR_ROOT_STORE_CORRUPT',
      this.path,
      `${this.path} is a SQLite database but not a p2p-root one (${why}): it was left untouched; pass another database path`,
    );
  }

  #check(): void {
    if (this.#closed) throw storeClosedError(this.path);
  }

  /** Runs `work` on the open database; a failure becomes a store failure saying what was being done. */
  #use<T>(doing: string, work: () => T): T {
    this.#check();
    try {
      return work();
    } catch (error) {
      throw this.#error(error, doing);
    }
  }

  /** Maps a SQLite or file-system failure to a store failure that says what to do. */
  #error(error: unknown, doing: string): RootStoreFailure {
    if (isStoreError(error)) return error;
    const code = classify(error);
    const path = this.path;
    const detail = error instanceof Error ? error.message : String(error);
    const messages: Record<RootStoreErrorCode, string> = {
      ERR_ROOT_STORE_OPEN: `cannot ${doing} the root database ${path} (${detail}): check that the path names a file in a folder this user can create and write`,
      ERR_ROOT_STORE_CORRUPT: `cannot ${doing} the root database ${path}: it is not a SQLite database or it is damaged (${detail}); move the file away (it was left untouched) or pass another database path`,
      ERR_ROOT_STORE_READONLY: `cannot ${doing} the root database ${path}: it is read-only (${detail}); make the file and its folder writable, or pass another database path`,
      ERR_ROOT_STORE_LOCKED: `cannot ${doing} the root database ${path}: another process holds it (still locked after ${this.#busyTimeout} ms); stop the other root using it, or pass another database path`,
      ERR_ROOT_STORE_VERSION: detail,
      ERR_ROOT_STORE_CLOSED: detail,
      // PostgreSQL's; SQLite never reports them.
      ERR_ROOT_STORE_UNREACHABLE: detail,
      ERR_ROOT_STORE_AUTH: detail,
      ERR_ROOT_STORE_FENCED: detail,
      ERR_ROOT_STORE_IO: `cannot ${doing} the root database ${path} (${detail}): check the disk (space, errors) and the file`,
    };
    return storeError(code, path, messages[code], { cause: error });
  }
}

function classify(error: unknown): RootStoreErrorCode {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'ERR_ROOT_STORE_IO';
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return 'ERR_ROOT_STORE_CORRUPT';
  }
  if (code.startsWith('SQLITE_READONLY')) return 'ERR_ROOT_STORE_READONLY';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))
    return 'ERR_ROOT_STORE_LOCKED';
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_PERM') ||
    /^E[A-Z]+$/.test(code)
  ) {
    return 'ERR_ROOT_STORE_OPEN';
  }
  return 'ERR_ROOT_STORE_IO';
}
