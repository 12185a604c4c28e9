import { isPostgresUrl, PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/**
 * Opens the store that `db` names, as `--db` and `P2P_DB` take it: a `postgres://` or
 * `postgresql://` URL opens a {@link PostgresStore}; anything else is a SQLite file path (or
 * `':memory:'`) for a {@link SqliteStore}.
 *
 * @throws RootError when the store cannot be opened; its message says what to do.
 */
export async function openStore(db: string): Promise<Store> {
  return isPostgresUrl(db) ? PostgresStore.open(db) : new SqliteStore(db);
}
