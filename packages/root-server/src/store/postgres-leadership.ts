import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { LOCK_KEY } from './postgres-migrations.js';

/** Options of {@link PostgresLeadership.acquire}. */
export interface LeadershipOptions {
  /** Gives up waiting (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
  /** How often (ms) the leader checks its connection, and how long a check may take. Default 500. */
  heartbeat?: number;
  /** Wait (ms) between attempts to reach a database that is down. Default 1000. */
  retry?: number;
  /** Called on each failed attempt to reach the database while waiting. */
  onRetry?: (error: Error) => void;
}

export interface LeadershipEvents {
  /** The connection that holds the lock failed: another root may lead from now on. */
  lost: [error: Error];
}

/**
 * Leadership among the roots of one PostgreSQL database: the session advisory lock, held on a
 * dedicated connection. Waiting for it is a standby; holding it, the leader. The lock goes with
 * the session: when the leader dies its connection closes and the server hands the lock to a
 * waiting root at once; when the leader loses the database, its heartbeat fails within two
 * heartbeats and it emits `lost` (and stops leading) while the server, whose keepalives give up
 * on a silent client after 3 s, has not yet handed the lock on.
 */
export class PostgresLeadership extends EventEmitter<LeadershipEvents> {
  readonly #client: pg.Client;
  readonly #heartbeat: NodeJS.Timeout;
  #released = false;

  private constructor(client: pg.Client, heartbeat: number) {
    super();
    this.#client = client;
    const lose = (error: Error) => {
      if (this.#released) return;
      this.release();
      this.emit('lost', error);
    };
    client.on('error', lose);
    client.on('end', () => lose(new Error('the connection holding the leadership closed')));
    this.#heartbeat = setInterval(() => {
      // A check is bounded by the heartbeat (pg reads query_timeout per query too).
      client.query({ text: 'SELECT 1', query_timeout: heartbeat } as pg.QueryConfig).catch(lose);
    }, heartbeat);
  }

  /**
   * Waits until this process leads the database at `url`: connects (again and again while the
   * database is down) and waits for the lock.
   */
  static async acquire(url: string, options: LeadershipOptions = {}): Promise<PostgresLeadership> {
    const heartbeat = options.heartbeat ?? 500;
    for (;;) {
      options.signal?.throwIfAborted();
      const client = new pg.Client({
        connectionString: url,
        connectionTimeoutMillis: 2 * heartbeat,
        // The server drops a silent client (and its lock) after 1 + 2 × 1 s of keepalives, or
        // 3 s of unacknowledged data: later than the leader's own check gives up.
        options:
          '-c tcp_keepalives_idle=1 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=2 -c tcp_user_timeout=3000',
        keepAlive: true,
        application_name: 'p2p-root leadership',
      });
      client.on('error', () => {});
      const abort = () => {
        client.end().catch(() => {});
      };
      options.signal?.addEventListener('abort', abort, { once: true });
      try {
        await client.connect();
        await client.query(`SELECT pg_advisory_lock(${LOCK_KEY})`);
        options.signal?.throwIfAborted();
        client.removeAllListeners('error');
        return new PostgresLeadership(client, heartbeat);
      } catch (error) {
        await client.end().catch(() => {});
        options.signal?.throwIfAborted();
        options.onRetry?.(error as Error);
        await sleep(options.retry ?? 1000, undefined, { signal: options.signal });
      } finally {
        options.signal?.removeEventListener('abort', abort);
      }
    }
  }

  /** Gives the leadership up (closes the connection, which releases the lock). Idempotent. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    clearInterval(this.#heartbeat);
    this.#client.end().catch(() => {});
  }
}
