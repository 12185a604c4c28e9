import type { RootStoreErrorCode } from '../errors.js';
import type { PostgresMigration } from './postgres-migrations.js';
import type { NodePosition, StoredNode } from './store.js';

/**
 * What `PostgresStore` asks its worker thread (`postgres-worker.ts`). Every request names the
 * store's session: one worker serves every store of the process, each on its own connection.
 */
export type PostgresRequest =
  | {
      op: 'open';
      session: string;
      url: string;
      /** The URL with its password hidden, for messages. */
      label: string;
      /** Bound (ms) on connecting and on every statement. */
      timeout: number;
      /** How long (ms) to wait for another root's lock; null: take no lock (the caller holds it). */
      lockTimeout: number | null;
      migrations: readonly PostgresMigration[];
    }
  | { op: 'register'; session: string; address: string; now: number }
  | { op: 'positions'; session: string; positions: NodePosition[] }
  | { op: 'forget'; session: string; addresses: string[] }
  | { op: 'load'; session: string }
  | { op: 'version'; session: string }
  | { op: 'close'; session: string };

/** The worker's answer: a value, or the code and message of the `RootError` (`ERR_ROOT_STORE_*`) to throw. */
export type PostgresReply<T = unknown> =
  | { ok: true; value: T }
  | { ok: false; code: RootStoreErrorCode; message: string };

export type PostgresValue = boolean | number | StoredNode[] | null;
