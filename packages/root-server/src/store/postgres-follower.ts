import pg from 'pg';
import type { StoredNode } from './store.js';

interface FollowedRow {
  id: string;
  address: string;
  registered_at: number;
  parent: string | null;
  alive: boolean;
  last_seen: number;
  changed: string;
}

interface Held {
  id: number;
  node: StoredNode;
}

/**
 * A standby's warm copy of the registry: the rows of `p2p_root_nodes`, kept up to date by reading
 * only the rows written since the last read (their `changed` number is higher). The leader
 * writes one statement at a time on one connection, so the numbers are committed in order and
 * none is skipped. A forgotten row (deleted) shows as fewer rows than the copy holds: the copy is
 * then read whole again (forgetting is rare: a node silent for a day). Polling rather than
 * LISTEN/NOTIFY: a notification lost while the standby was disconnected would leave the copy
 * wrong for good, and a payload (8 kB at most) cannot carry a liveness flush of 100,000 rows; a
 * read of the changes since a number is right after any outage.
 */
export class PostgresFollower {
  readonly #url: string;
  readonly #rows = new Map<string, Held>();
  #client: pg.Client | undefined;
  #last = 0n;
  #closed = false;

  constructor(url: string) {
    this.#url = url;
  }

  /** Rows held. */
  get size(): number {
    return this.#rows.size;
  }

  /**
   * Reads what changed since the last call (everything on the first). Rejects when the database
   * cannot be read (the copy is kept; the next call reads on from where it was). A schema
   * without change numbers is read whole each time.
   */
  async catchUp(): Promise<void> {
    const client = await this.#connect();
    const { rows: schema } = await client.query<{ numbered: boolean }>(
      "SELECT to_regclass('p2p_root_changes') IS NOT NULL AS numbered",
    );
    if (schema[0]?.numbered !== true) {
      this.#rows.clear();
      const { rows } = await client.query<FollowedRow>(
        "SELECT id, address, registered_at, parent, alive, last_seen, '0' AS changed FROM p2p_root_nodes",
      );
      for (const row of rows) this.#hold(row);
      return;
    }
    const { rows } = await client.query<FollowedRow & { total: string }>(
      `SELECT id, address, registered_at, parent, alive, last_seen, changed,
              (SELECT count(*) FROM p2p_root_nodes) AS total
         FROM p2p_root_nodes WHERE changed > $1
        UNION ALL
       SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, (SELECT count(*) FROM p2p_root_nodes)
        ORDER BY changed NULLS LAST`,
      [this.#last.toString()],
    );
    const total = Number(rows.at(-1)?.total ?? 0);
    for (const row of rows) if (row.address !== null) this.#hold(row);
    if (this.#rows.size !== total) {
      // Rows were deleted: read everything again.
      this.#rows.clear();
      this.#last = 0n;
      await this.catchUp();
    }
  }

  /** Every row held, in order of registration, as `Store.load` gives them. */
  nodes(): StoredNode[] {
    return [...this.#rows.values()].sort((a, b) => a.id - b.id).map((held) => held.node);
  }

  /** Closes the connection. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => {});
  }

  #hold(row: FollowedRow): void {
    this.#rows.set(row.address, {
      id: Number(row.id),
      node: {
        address: row.address,
        registeredAt: row.registered_at,
        parent: row.parent,
        alive: row.alive,
        lastSeen: row.last_seen,
      },
    });
    const changed = BigInt(row.changed);
    if (changed > this.#last) this.#last = changed;
  }

  async #connect(): Promise<pg.Client> {
    if (this.#closed) throw new Error('the follower is closed');
    if (this.#client !== undefined) return this.#client;
    const client = new pg.Client({
      connectionString: this.#url,
      connectionTimeoutMillis: 5_000,
      query_timeout: 30_000,
      application_name: 'p2p-root standby',
    });
    const lost = () => {
      if (this.#client === client) this.#client = undefined;
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    this.#client = client;
    return client;
  }
}
