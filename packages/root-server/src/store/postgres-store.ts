import { storeClosedError, storeError } from '../errors.js';
import { describePostgresError } from './postgres-errors.js';
import { POSTGRES_MIGRATIONS, type PostgresMigration } from './postgres-migrations.js';
import type { Session } from './postgres-session.js';
import {
  forgetNodes,
  loadNodes,
  openSession,
  registerNode,
  schemaVersion,
  writePositions,
} from './postgres-statements.js';
import type { NodePosition, Store, StoredNode } from './store.js';

/** Options of {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /**
   * Bound (ms) on connecting and on every statement; past it the call fails with
   * `ERR_ROOT_STORE_UNREACHABLE`. Default 5000.
   */
  timeout?: number;
  /**
   * How long (ms) to wait for the database while another root holds it before failing with
   * `ERR_ROOT_STORE_LOCKED` (the connection of a root that just died may take a moment to close).
   * Default 2000.
   */
  lockTimeout?: number;
  /**
   * Take the root's advisory lock on the store's connection (default true). False when the caller
   * holds it already on a connection of its own (a `PostgresLeadership`).
   */
  lock?: boolean;
  /** The schema's steps; for tests of upgrades. Default: this version's `POSTGRES_MIGRATIONS`. */
  migrations?: readonly PostgresMigration[];
}

/** True when `db` names a PostgreSQL database (`postgres://…` or `postgresql://…`). */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** The URL with its password replaced by `***`, for messages and logs. */
export function redactPostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(/:[^:@/]*@/, ':***@');
  }
}

/**
 * A {@link Store} in a PostgreSQL database (node-postgres, one connection of its own): a versioned
 * schema (`p2p_root_migrations`, upgraded in one transaction on open, marked as the root's so that
 * another program's database is refused untouched), batches written in one statement, and a
 * session advisory lock so that a second root on the same database fails with
 * `ERR_ROOT_STORE_LOCKED`. Open it with {@link PostgresStore.open}.
 *
 * Calls run on the event loop like any I/O and never hold it: a registration's promise resolves
 * once it is committed with the server's flush (`synchronous_commit = on`); positions commit
 * without waiting for the server's disk. Every statement is bounded by `timeout`. A lost
 * connection fails that call (`ERR_ROOT_STORE_UNREACHABLE`) and is opened again by the next one;
 * after a call that waited the whole `timeout` (a server that does not answer), calls fail at once
 * until a connection opened in the background succeeds, so queued writes do not each wait the
 * bound again.
 *
 * Opening fails with a store failure ({@link RootError}, `ERR_ROOT_STORE_*`) whose message says what to do:
 * `ERR_ROOT_STORE_UNREACHABLE`, `ERR_ROOT_STORE_AUTH`, `ERR_ROOT_STORE_OPEN` (no such database, bad URL),
 * `ERR_ROOT_STORE_CORRUPT` (another program's database), `ERR_ROOT_STORE_VERSION` (a newer schema),
 * `ERR_ROOT_STORE_READONLY` (a replica, or no right to write), `ERR_ROOT_STORE_LOCKED` (another root).
 */
export class PostgresStore implements Store {
  /** The URL given, with its password hidden. */
  readonly path: string;
  /**
   * The term this store leads in: each store opened on the database starts a new one, and every
   * write of a store with an older term fails with `ERR_ROOT_STORE_FENCED` (0 on schemas without it).
   */
  readonly term: number;
  readonly #session: Session;
  /** The last call queued: calls run one after another on the connection (a transaction's statements must not interleave with another call's). */
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  private constructor(path: string, session: Session) {
    this.path = path;
    this.#session = session;
    this.term = session.term;
  }

  /**
   * Connects to `url`, creates the schema in an empty database or upgrades an older one, and
   * starts a new term.
   *
   * @throws RootError see the class description.
   */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const path = redactPostgresUrl(url);
    if (!isPostgresUrl(url) || !URL.canParse(url)) {
      throw storeError(
        'ERR_ROOT_STORE_OPEN',
        path,
        `${path} is not a PostgreSQL URL: write postgres://USER:PASSWORD@HOST:PORT/DATABASE`,
      );
    }
    const session = await PostgresStore.#call('open', path, () =>
      openSession(
        url,
        path,
        options.timeout ?? 5000,
        options.lock === false ? null : (options.lockTimeout ?? 2000),
        options.migrations ?? POSTGRES_MIGRATIONS,
      ),
    );
    return new PostgresStore(path, session);
  }

  /** The schema version of the database (the steps recorded in `p2p_root_migrations`). */
  schemaVersion(): Promise<number> {
    return this.#use('read', (session) => schemaVersion(session));
  }

  register(address: string, now: number): Promise<boolean> {
    return this.#use('register a node in', (session) => registerNode(session, address, now));
  }

  setPosition(position: NodePosition): Promise<void> {
    return this.setPositions([position]);
  }

  setPositions(positions: Iterable<NodePosition>): Promise<void> {
    // Read now: the caller may change what it iterates once this returns.
    const rows = Array.from(positions, ({ address, parent, alive, lastSeen }) => ({
      address,
      parent,
      alive,
      lastSeen,
    }));
    return this.#use('write positions to', (session) => writePositions(session, rows));
  }

  forget(addresses: Iterable<string>): Promise<void> {
    const keys = [...addresses];
    return this.#use('forget nodes in', (session) => forgetNodes(session, keys));
  }

  load(): Promise<StoredNode[]> {
    return this.#use('read', (session) => loadNodes(session));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#tail;
    // The server releases the lock with the connection.
    await this.#session.close();
  }

  async #use<T>(doing: string, work: (session: Session) => Promise<T>): Promise<T> {
    if (this.#closed) throw storeClosedError(this.path);
    const run = () => PostgresStore.#call(doing, this.path, () => work(this.#session));
    const result = this.#tail.then(run, run);
    this.#tail = result.catch(() => {});
    return result;
  }

  /** Runs `work`, turning any failure into a store failure whose message says what to do. */
  static async #call<T>(doing: string, path: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      const { code, message } = describePostgresError(error, doing, path);
      throw storeError(code, path, message, { cause: error });
    }
  }
}
