import type { Database } from 'better-sqlite3';

/** One step of the SQLite schema. Step i (0-based) brings the schema to version i + 1. */
export interface Migration {
  /** What the step does, for logs and errors. */
  description: string;
  /** Applies the step; runs inside the transaction that also sets `PRAGMA user_version`. */
  up(db: Database): void;
}

/**
 * The schema's history, oldest first. The schema version (`PRAGMA user_version`) is the number
 * of steps applied. Append only: never edit a step that has shipped.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    description: 'nodes: registrations and positions',
    up(db) {
      // No IF NOT EXISTS: a foreign database that happens to have a `nodes` table must fail
      // loudly rather than be written into.
      db.exec(`
        CREATE TABLE nodes (
          address TEXT NOT NULL PRIMARY KEY,
          registered_at INTEGER NOT NULL,
          parent TEXT,
          alive INTEGER NOT NULL DEFAULT 0 CHECK (alive IN (0, 1)),
          last_seen INTEGER NOT NULL
        )
      `);
    },
  },
];
