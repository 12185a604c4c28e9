import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createSyncFn } from 'synckit';
import { storeClosedError, storeError } from '../errors.js';
import { POSTGRES_MIGRATIONS, type PostgresMigration } from './postgres-migrations.js';
import type { PostgresReply, PostgresRequest, PostgresValue } from './postgres-protocol.js';
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

// The worker runs beside this module in dist. Node 20 cannot start a worker thread from
// TypeScript, so when these sources run as TypeScript (the tests, after the build) the compiled
// worker is used.
const workerPath = fileURLToPath(
  import.meta.url.endsWith('.ts')
    ? new URL('../../dist/store/postgres-worker.js', import.meta.url)
    : new URL('./postgres-worker.js', import.meta.url),
);

let call: ((request: PostgresRequest) => PostgresReply<PostgresValue>) | undefined;

/**
 * A {@link Store} in a PostgreSQL database (node-postgres): a versioned schema
 * (`p2p_root_migrations`, upgraded in one transaction on open, marked as the root's so that
 * another program's database is refused untouched), batches written in one statement, and a
 * session advisory lock so that a second root on the same database fails with
 * `ERR_ROOT_STORE_LOCKED`.
 *
 * The `Store` contract is synchronous (a registration is durable when `register` returns, before
 * the root answers `RESACK`): the connection lives in a worker thread and each call waits for
 * its answer, bounded by `timeout`. Every write is committed with the server's
 * `synchronous_commit` (on by default: durable when the call returns). A lost connection fails
 * that call (`ERR_ROOT_STORE_UNREACHABLE`) and is opened again by the next one; after a call that
 * waited the whole `timeout` (a server that does not answer), calls fail at once until a
 * connection opened in the background succeeds, so the caller is held once per outage.
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
  readonly #session = randomUUID();
  #closed = false;

  /**
   * Connects to `url`, creates the schema in an empty database or upgrades an older one.
   *
   * @throws RootError see the class description.
   */
  constructor(url: string, options: PostgresStoreOptions = {}) {
    this.path = redactPostgresUrl(url);
    if (!isPostgresUrl(url) || !URL.canParse(url)) {
      throw storeError(
        'ERR_ROOT_STORE_OPEN',
        this.path,
        `${this.path} is not a PostgreSQL URL: write postgres://USER:PASSWORD@HOST:PORT/DATABASE`,
      );
    }
    const timeout = options.timeout ?? 5000;
    call ??= createSyncFn(workerPath, {
      // Statements are bounded inside the worker; this only catches a worker that hangs.
      timeout: 4 * timeout + 10_000,
    });
    this.term = this.#request<number>({
      op: 'open',
      session: this.#session,
      url,
      label: this.path,
      timeout,
      lockTimeout: options.lock === false ? null : (options.lockTimeout ?? 2000),
      migrations: options.migrations ?? POSTGRES_MIGRATIONS,
    });
  }

  /** The schema version of the database (the steps recorded in `p2p_root_migrations`). */
  get schemaVersion(): number {
    this.#check();
    return this.#request<number>({ op: 'version', session: this.#session });
  }

  register(address: string, now: number): boolean {
    this.#check();
    return this.#request<boolean>({ op: 'register', session: this.#session, address, now });
  }

  setPosition(position: NodePosition): void {
    this.setPositions([position]);
  }

  setPositions(positions: Iterable<NodePosition>): void {
    this.#check();
    // Plain objects only: they cross to the worker by structured clone.
    const rows = Array.from(positions, ({ address, parent, alive, lastSeen }) => ({
      address,
      parent,
      alive,
      lastSeen,
    }));
    this.#request<null>({ op: 'positions', session: this.#session, positions: rows });
  }

  forget(addresses: Iterable<string>): void {
    this.#check();
    this.#request<null>({ op: 'forget', session: this.#session, addresses: [...addresses] });
  }

  load(): StoredNode[] {
    this.#check();
    return this.#request<StoredNode[]>({ op: 'load', session: this.#session });
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#request<null>({ op: 'close', session: this.#session });
    } catch {
      // The connection is gone either way; the server releases its lock with it.
    }
  }

  #request<T extends PostgresValue>(request: PostgresRequest): T {
    let reply: PostgresReply<PostgresValue>;
    try {
      reply = (call as NonNullable<typeof call>)(request);
    } catch (error) {
      throw storeError(
        'ERR_ROOT_STORE_UNREACHABLE',
        this.path,
        `the root database ${this.path} did not answer (${(error as Error).message}); check that PostgreSQL runs and is reachable`,
        { cause: error },
      );
    }
    if (!reply.ok) throw storeError(reply.code, this.path, reply.message);
    return reply.value as T;
  }

  #check(): void {
    if (this.#closed) throw storeClosedError(this.path);
  }
}
