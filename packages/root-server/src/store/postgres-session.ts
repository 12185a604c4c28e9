/** The worker's side of one `PostgresStore`: its connection, its lock and its term. */
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { isStoreError, type RootStoreErrorCode, storeError } from '../errors.js';
import { LOCK_KEY } from './postgres-migrations.js';

/**
 * A failure whose message already says what to do. The worker does not know the store's path (its
 * URL without the password): the store's side sets it when it throws the error again.
 */
export function storeFailure(code: RootStoreErrorCode, message: string) {
  return storeError(code, '', message);
}

/** How often (ms) a session whose server stopped answering tries to connect again. */
const RECONNECT_EVERY = 1_000;

/**
 * One store's connection, opened again on the next call when it was lost. A call that waited the
 * whole bound for the server (a host that does not answer) marks the server silent: until a
 * connection opened in the background succeeds, calls fail at once instead of each holding the
 * root's event loop for the bound again.
 */
export class Session {
  readonly #url: string;
  readonly #label: string;
  readonly #timeout: number;
  readonly #lockTimeout: number | null;
  #client: pg.Client | undefined;
  /** Why the server is taken for silent, while it is. */
  #silent: Error | undefined;
  #closed = false;
  /** The term this store writes in (set at open); writes fail once the database has a newer. */
  term = 0;
  /** True when the schema numbers every write (`changed`, for standbys to follow). */
  numbersChanges = false;

  constructor(url: string, label: string, timeout: number, lockTimeout: number | null) {
    this.#url = url;
    this.#label = label;
    this.#timeout = timeout;
    this.#lockTimeout = lockTimeout;
  }

  get label(): string {
    return this.#label;
  }

  /** Runs `sql` on the connection, connecting (and taking the lock) first when needed. */
  query<R extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.#bounded(async () => {
      const client = await this.#connect();
      try {
        return await client.query<R>(sql, values);
      } catch (error) {
        // A statement refused by the server leaves the connection usable; anything else (lost
        // connection, client-side timeout) leaves it in doubt: drop it, the next call reconnects.
        if (!isServerError(error)) await this.#drop(client);
        throw error;
      }
    });
  }

  /**
   * Runs `work` in one transaction on one connection: a connection lost half-way fails the whole
   * transaction instead of carrying on, outside it, on a new connection.
   */
  transaction<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
    return this.#bounded(async () => {
      const client = await this.#connect();
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        if (isServerError(error)) await client.query('ROLLBACK').catch(() => {});
        else await this.#drop(client);
        throw error;
      }
    });
  }

  /** Fails at once while the server is silent; notices a call that waited the whole bound. */
  async #bounded<T>(call: () => Promise<T>): Promise<T> {
    if (this.#silent !== undefined) {
      throw storeFailure(
        'ERR_ROOT_STORE_UNREACHABLE',
        `the root database ${this.#label} is not answering (${this.#silent.message}); calls fail at once until a connection succeeds (tried every ${RECONNECT_EVERY} ms in the background): check that PostgreSQL runs and is reachable`,
      );
    }
    const started = performance.now();
    try {
      return await call();
    } catch (error) {
      const waitedTheBound = performance.now() - started >= this.#timeout;
      if (waitedTheBound && !isServerError(error) && !isStoreError(error))
        this.#reconnectInBackground(error as Error);
      throw error;
    }
  }

  /** Takes the server for silent and connects again in the background until it answers. */
  #reconnectInBackground(reason: Error): void {
    this.#silent = reason;
    void (async () => {
      while (!this.#closed) {
        await sleep(RECONNECT_EVERY);
        if (this.#closed) return;
        try {
          const client = await this.#connect();
          if (this.#closed) await this.#drop(client);
          this.#silent = undefined;
          return;
        } catch (error) {
          this.#silent = error as Error;
        }
      }
    })();
  }

  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    if (client !== undefined) await this.#drop(client);
  }

  async #connect(): Promise<pg.Client> {
    if (this.#client !== undefined) return this.#client;
    const client = new pg.Client({
      connectionString: this.#url,
      connectionTimeoutMillis: this.#timeout,
      query_timeout: this.#timeout,
      statement_timeout: this.#timeout,
      keepAlive: true,
      application_name: 'p2p-root',
    });
    // A connection lost between calls is noticed here; the next call opens a new one.
    const lost = () => {
      if (this.#client === client) this.#client = undefined;
    };
    client.on('error', lost);
    client.on('end', lost);
    try {
      await client.connect();
      if (this.#lockTimeout !== null) await this.#lock(client, this.#lockTimeout);
      // Positions and liveness commit without waiting for the disk (as SQLite's NORMAL): they
      // survive a crash of the root; a crash of the server may undo the last few, which the
      // nodes repair by re-advertising. Registrations ask for a flush themselves.
      await client.query('SET synchronous_commit = off');
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    this.#client = client;
    return client;
  }

  /** Takes the root's lock, waiting a little: the connection of a root that just died may linger. */
  async #lock(client: pg.Client, lockTimeout: number): Promise<void> {
    await client.query(`SET lock_timeout = ${lockTimeout}`);
    try {
      await client.query(`SELECT pg_advisory_lock(${LOCK_KEY})`);
    } catch (error) {
      if (!(error instanceof pg.DatabaseError && error.code === '55P03')) throw error;
      throw storeFailure(
        'ERR_ROOT_STORE_LOCKED',
        `cannot use the root database ${this.#label}: another p2p-root holds it (still locked after ${lockTimeout} ms); stop the other root, pass another database, or start this one with --standby to wait as its standby`,
      );
    }
    await client.query('RESET lock_timeout');
  }

  /** Fails with ERR_ROOT_STORE_FENCED when the database's term is not this store's. */
  checkTerm(current: string | number | null | undefined): void {
    if (current === undefined || current === null || Number(current) === this.term) return;
    throw storeFailure(
      'ERR_ROOT_STORE_FENCED',
      `the root database ${this.#label} is led by another root now (term ${current}, this root's ${this.term}): nothing was written; this root must stop leading`,
    );
  }

  async #drop(client: pg.Client): Promise<void> {
    if (this.#client === client) this.#client = undefined;
    await client.end().catch(() => {});
  }
}

/** True for an error the server sent (a SQLSTATE): the connection is still usable. */
export function isServerError(error: unknown): boolean {
  return error instanceof pg.DatabaseError;
}
