/** The statements of `PostgresStore`, each on one store's `Session` (its connection and term). */
import {
  BOOTSTRAP_SQL,
  MIGRATIONS_TABLE,
  type PostgresMigration,
  SCHEMA_MARKER,
} from './postgres-migrations.js';
import { Session, storeFailure } from './postgres-session.js';
import type { NodePosition, StoredNode } from './store.js';

interface NodeRow {
  address: string;
  registered_at: number;
  parent: string | null;
  alive: boolean;
  last_seen: number;
}

/**
 * The fence every write goes through: the leader's row, share-locked so that a new leader's term
 * waits for writes in flight and writes after it see the new term. `$n` is the store's term.
 * Schemas older than the leader table (tests of upgrades) have no fence.
 */
function fence(session: Session, n: number): { with: string; holds: string } {
  return session.term === 0
    ? { with: 'WITH fence AS (SELECT NULL::bigint AS term)', holds: 'true' }
    : {
        with: 'WITH fence AS (SELECT term FROM p2p_root_leader FOR SHARE)',
        holds: `(SELECT term FROM fence) = $${n}`,
      };
}

/**
 * Runs one write behind the fence: `write` gets the condition that holds while this store's term
 * is the database's (its parameter follows `values`). One statement: atomic, and one round trip
 * whatever the batch's size. Fails with ERR_ROOT_STORE_FENCED when another root leads now.
 */
async function fencedWrite(
  session: Session,
  write: (holds: string) => string,
  values: unknown[],
): Promise<void> {
  const guard = fence(session, values.length + 1);
  const { rows } = await session.query<{ term: string | null }>(
    `${guard.with}, written AS (${write(guard.holds)} RETURNING 1)
     SELECT (SELECT term FROM fence) AS term, (SELECT count(*) FROM written) AS written`,
    [...values, ...(session.term === 0 ? [] : [session.term])],
  );
  session.checkTerm(rows[0]?.term);
}

/** Checks that the database is empty or ours and not newer than `latest`; returns its version. */
async function identify(session: Session, latest: number): Promise<number> {
  const { rows } = await session.query<{ schema: string | null; name: string | null }>(
    `SELECT current_schema() AS schema, c.relname AS name
       FROM (SELECT 1) AS one
       LEFT JOIN pg_namespace n ON n.nspname = current_schema()
       LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`,
  );
  if (rows[0]?.schema == null) {
    throw storeFailure(
      'ERR_ROOT_STORE_OPEN',
      `cannot open the root database ${session.label}: its search_path names no existing schema to create the root's tables in; create the schema or fix search_path`,
    );
  }
  const tables = rows.flatMap((row) => (row.name === null ? [] : [row.name]));
  if (tables.length === 0) return 0;
  const foreign = (why: string) =>
    storeFailure(
      'ERR_ROOT_STORE_CORRUPT',
      `${session.label} is a PostgreSQL database but not a p2p-root one (${why}): it was left untouched; pass an empty database (createdb) or the root's own`,
    );
  if (!tables.includes(MIGRATIONS_TABLE)) {
    const some = tables.slice(0, 3).join(', ');
    throw foreign(`it has tables of another program: ${some}${tables.length > 3 ? ', …' : ''}`);
  }
  const marker = await session.query<{ comment: string | null; version: number | null }>(
    `SELECT obj_description('${MIGRATIONS_TABLE}'::regclass, 'pg_class') AS comment,
            (SELECT max(version) FROM ${MIGRATIONS_TABLE}) AS version`,
  );
  const [found] = marker.rows;
  if (found?.comment !== SCHEMA_MARKER) throw foreign(`its ${MIGRATIONS_TABLE} is not ours`);
  const version = found.version ?? 0;
  if (version > latest) {
    throw storeFailure(
      'ERR_ROOT_STORE_VERSION',
      `the root database ${session.label} has schema version ${version}, newer than this version of @p2p/root-server knows (${latest}): upgrade @p2p/root-server, or pass another database`,
    );
  }
  return version;
}

/** Applies the missing steps in one transaction and checks that the root may write. */
async function migrate(
  session: Session,
  migrations: readonly PostgresMigration[],
  version: number,
): Promise<void> {
  if (version < migrations.length) {
    await session.transaction(async (client) => {
      if (version === 0) await client.query(BOOTSTRAP_SQL);
      for (const [index, step] of migrations.entries()) {
        if (index < version) continue;
        await client.query(step.sql);
        await client.query(
          `INSERT INTO ${MIGRATIONS_TABLE} (version, description) VALUES ($1, $2)`,
          [index + 1, step.description],
        );
      }
    });
  }
  const { rows } = await session.query<{ readonly: string; writable: boolean }>(
    `SELECT current_setting('transaction_read_only') AS readonly,
            has_table_privilege('p2p_root_nodes', 'INSERT, UPDATE, SELECT') AS writable`,
  );
  const [check] = rows;
  if (check?.readonly === 'on' || check?.writable === false) {
    throw storeFailure(
      'ERR_ROOT_STORE_READONLY',
      `cannot write the root database ${session.label}: ${check.readonly === 'on' ? 'the server is read-only (a replica?); point the root at the primary' : "this user may not write the root's tables; grant it INSERT, UPDATE and SELECT on them"}`,
    );
  }
}

/**
 * Connects to `url`, checks and upgrades the schema, and starts a new term (writes of any root that
 * led before fail from now on). Returns the session, closed again on failure.
 */
export async function openSession(
  url: string,
  label: string,
  timeout: number,
  lockTimeout: number | null,
  migrations: readonly PostgresMigration[],
): Promise<Session> {
  const session = new Session(url, label, timeout, lockTimeout);
  try {
    const version = await identify(session, migrations.length);
    await migrate(session, migrations, version);
    const { rows } = await session.query<{ present: boolean; changes: boolean }>(
      `SELECT to_regclass('p2p_root_leader') IS NOT NULL AS present,
              to_regclass('p2p_root_changes') IS NOT NULL AS changes`,
    );
    session.numbersChanges = rows[0]?.changes === true;
    if (rows[0]?.present === true) {
      const bumped = await session.query<{ term: string }>(
        'UPDATE p2p_root_leader SET term = term + 1 RETURNING term',
      );
      session.term = Number(bumped.rows[0]?.term);
    }
  } catch (error) {
    await session.close();
    throw error;
  }
  return session;
}

/**
 * Registers `address`, durable when it resolves (the root answers RESACK after it): committed
 * with the server's flush, and its synchronous standbys' when it has some.
 */
export async function registerNode(
  session: Session,
  address: string,
  now: number,
): Promise<boolean> {
  const guard = fence(session, 3);
  const { rows } = await session.transaction(async (client) => {
    await client.query('SET LOCAL synchronous_commit = on');
    return client.query<{ term: string | null; inserted: number }>(
      `${guard.with}, written AS (
         INSERT INTO p2p_root_nodes (address, registered_at, last_seen)
         SELECT $1, $2, $2 WHERE ${guard.holds}
         ON CONFLICT (address) DO NOTHING RETURNING 1)
       SELECT (SELECT term FROM fence) AS term, (SELECT count(*) FROM written)::int AS inserted`,
      [address, now, ...(session.term === 0 ? [] : [session.term])],
    );
  });
  session.checkTerm(rows[0]?.term);
  return rows[0]?.inserted === 1;
}

/** Writes `positions` in one statement. */
export async function writePositions(session: Session, positions: NodePosition[]): Promise<void> {
  if (positions.length === 0) return;
  await fencedWrite(
    session,
    (holds) => `UPDATE p2p_root_nodes AS n
          SET parent = v.parent, alive = v.alive, last_seen = v.last_seen${session.numbersChanges ? ", changed = nextval('p2p_root_changes')" : ''}
         FROM unnest($1::text[], $2::text[], $3::boolean[], $4::float8[])
           AS v(address, parent, alive, last_seen)
        WHERE n.address = v.address AND ${holds}`,
    [
      positions.map((p) => p.address),
      positions.map((p) => p.parent),
      positions.map((p) => p.alive),
      positions.map((p) => p.lastSeen),
    ],
  );
}

/** Deletes the registrations of `addresses` in one statement. */
export async function forgetNodes(session: Session, addresses: string[]): Promise<void> {
  if (addresses.length === 0) return;
  await fencedWrite(
    session,
    (holds) => `DELETE FROM p2p_root_nodes WHERE address = ANY($1::text[]) AND ${holds}`,
    [addresses],
  );
}

/** Every registered node, in order of registration. */
export async function loadNodes(session: Session): Promise<StoredNode[]> {
  const { rows } = await session.query<NodeRow>(
    'SELECT address, registered_at, parent, alive, last_seen FROM p2p_root_nodes ORDER BY id',
  );
  return rows.map(
    (row): StoredNode => ({
      address: row.address,
      registeredAt: row.registered_at,
      parent: row.parent,
      alive: row.alive,
      lastSeen: row.last_seen,
    }),
  );
}

/** The schema version (the steps recorded in `p2p_root_migrations`). */
export async function schemaVersion(session: Session): Promise<number> {
  const { rows } = await session.query<{ version: number | null }>(
    `SELECT max(version) AS version FROM ${MIGRATIONS_TABLE}`,
  );
  return rows[0]?.version ?? 0;
}
