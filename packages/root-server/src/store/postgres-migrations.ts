/** One step of the PostgreSQL schema. Step i (0-based) brings the schema to version i + 1. */
export interface PostgresMigration {
  /** What the step does, for logs, errors and the `p2p_root_migrations` table. */
  description: string;
  /** The statements; they run in the transaction that also records the step. */
  sql: string;
}

/** The table that records the applied steps and marks a database (or schema) as the root's. */
export const MIGRATIONS_TABLE = 'p2p_root_migrations';

/** The comment on {@link MIGRATIONS_TABLE} that tells our schema from another program's. */
export const SCHEMA_MARKER = 'p2p-root registry';

/** Created in the transaction of the first step, in an empty database. */
export const BOOTSTRAP_SQL = `
  CREATE TABLE ${MIGRATIONS_TABLE} (
    version integer PRIMARY KEY,
    description text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  );
  COMMENT ON TABLE ${MIGRATIONS_TABLE} IS '${SCHEMA_MARKER}';
`;

/**
 * The schema's history, oldest first; the schema version is the number of steps applied. Append
 * only: never edit a step that has shipped. Tables are prefixed so that the root can share a
 * schema with other programs' tables once it has been created there.
 */
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    description: 'nodes: registrations and positions',
    // `id` keeps the order of registration (SQLite's rowid); times are milliseconds as the
    // caller's clock gives them, which may be fractional.
    sql: `
      CREATE TABLE p2p_root_nodes (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        address text NOT NULL UNIQUE,
        registered_at double precision NOT NULL,
        parent text,
        alive boolean NOT NULL DEFAULT false,
        last_seen double precision NOT NULL
      );
    `,
  },
  {
    description: 'leader: the term of the root that leads',
    // One row. Every root that opens the store starts a new term; every write checks it, so a
    // root that another has replaced writes nothing more (fencing).
    sql: `
      CREATE TABLE p2p_root_leader (
        only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
        term bigint NOT NULL
      );
      INSERT INTO p2p_root_leader (term) VALUES (0);
    `,
  },
  {
    description: 'changes: a sequence number on every row written, for standbys to follow',
    // Every insert and update takes the next number (the leader writes one statement at a time on
    // one connection, so numbers are committed in order): a standby reads the rows past the last
    // number it saw instead of the whole table.
    sql: `
      CREATE SEQUENCE p2p_root_changes;
      ALTER TABLE p2p_root_nodes ADD COLUMN changed bigint NOT NULL DEFAULT nextval('p2p_root_changes');
      CREATE INDEX p2p_root_nodes_changed ON p2p_root_nodes (changed);
    `,
  },
];

/**
 * The session advisory lock that one root of a database holds (ASCII `p2proot`): the store's own
 * connection holds it, or a `PostgresLeadership` for a root that may wait as a standby.
 */
export const LOCK_KEY = '123361970581364';
