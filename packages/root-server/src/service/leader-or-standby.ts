import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAddress } from '@p2p/codec';
import type { Logger } from '@p2p/stream';
import { Registry as MetricsRegistry } from 'prom-client';
import type { RootStoreErrorCode } from '../errors.js';
import { isStoreError } from '../errors.js';
import { AdminServer } from '../http/admin-server.js';
import { addRoleMetrics } from '../metrics.js';
import { RootServer, type RootServerOptions } from '../root-server.js';
import { PostgresFollower } from '../store/postgres-follower.js';
import { PostgresLeadership } from '../store/postgres-leadership.js';
import { PostgresStore } from '../store/postgres-store.js';
import { PreloadedStore } from '../store/preloaded-store.js';
import type { Store } from '../store/store.js';

export interface LeaderOrStandbyOptions extends RootServerOptions {
  /** The PostgreSQL URL the roots share. */
  store: string;
  logger: Logger;
  /** Ends the loop: a leader closes its root, a standby stops waiting. */
  signal: AbortSignal;
  /** Called each time this process starts leading. */
  onStarted?: (server: RootServer) => void;
  /**
   * How often (ms) a standby reads the changes to its warm copy of the tree; 0: keep none (load
   * the tree from the database on taking over). Default 1000.
   */
  followEvery?: number;
}

/**
 * Store errors no retry can cure: the operator must act. Typed by the store's codes, so that a
 * renamed code fails to compile here rather than silently never matching.
 */
const FATAL: ReadonlySet<RootStoreErrorCode> = new Set<RootStoreErrorCode>([
  'ERR_ROOT_STORE_AUTH',
  'ERR_ROOT_STORE_CORRUPT',
  'ERR_ROOT_STORE_VERSION',
  'ERR_ROOT_STORE_OPEN',
]);

/**
 * One of several roots on one PostgreSQL database: waits as a standby (admin HTTP up, `/healthz`
 * 503 `standby`) until it holds the leadership, then serves as the root (`/healthz` 200 `ok
 * leader term N`) until the signal, or until it loses the database: then it closes its root at
 * once (no Register or Advertise answered without the database) and waits as a standby again.
 * Resolves when the signal ends it; rejects on a store error no retry can cure.
 */
export async function runLeaderOrStandby(options: LeaderOrStandbyOptions): Promise<void> {
  const { logger, signal, onStarted, store: url, followEvery = 1_000, ...rootOptions } = options;
  let term = 0;
  let reason: string | undefined;
  const follower = followEvery > 0 ? new PostgresFollower(url) : undefined;
  while (!signal.aborted) {
    const standby = await standbyAdmin(rootOptions.http, () => ({ term, reason }), logger);
    logger.info({ http: standby?.address ?? null }, 'standby: waiting to lead');
    const following = follower === undefined ? undefined : follow(follower, followEvery, logger);
    let leadership: PostgresLeadership;
    try {
      leadership = await PostgresLeadership.acquire(url, {
        signal,
        onRetry: (error) => {
          reason = `the database is unreachable (${error.message})`;
          logger.warn({ err: error.message }, 'standby: cannot reach the database');
        },
      });
    } catch (error) {
      await following?.stop();
      await follower?.close();
      await standby?.close();
      if (signal.aborted) return;
      throw error;
    }
    await following?.stop();
    await standby?.close();
    let server: RootServer;
    try {
      const opened = await PostgresStore.open(url, { lock: false });
      term = opened.term;
      // The new term fences the old leader's writes: what the copy reads now is final.
      const store = await warmed(opened, follower, logger);
      server = await RootServer.start({ ...rootOptions, logger, store, leaderTerm: term });
    } catch (error) {
      leadership.release();
      if (isStoreError(error) && FATAL.has(error.code)) throw error;
      reason = `could not start leading (${(error as Error).message})`;
      logger.error({ err: (error as Error).message }, 'could not start leading');
      await sleep(1_000, undefined, { signal }).catch(() => {});
      continue;
    }
    reason = undefined;
    logger.info({ term, address: server.address }, 'leading');
    onStarted?.(server);
    const lost = once(leadership, 'lost').then(([error]) => error as Error);
    // The signal may have come while the root was starting: 'abort' is not sent twice.
    const stopped = signal.aborted
      ? Promise.resolve(undefined)
      : once(signal, 'abort').then(() => undefined);
    const cause = await Promise.race([lost, stopped]);
    if (cause !== undefined) {
      reason = `lost the database (${cause.message})`;
      logger.error({ err: cause.message, term }, 'lost the database: stopped leading');
    }
    await server.close();
    leadership.release();
  }
  await follower?.close();
}

/** Reads the changes into `follower` every `every` ms until stopped; failures are logged. */
function follow(follower: PostgresFollower, every: number, logger: Logger) {
  const stopped = new AbortController();
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      try {
        await follower.catchUp();
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'standby: cannot read the tree');
      }
      await sleep(every, undefined, { signal: stopped.signal }).catch(() => {});
    }
  })();
  return {
    stop: async () => {
      stopped.abort();
      await loop;
    },
  };
}

/** `store`, loading first from the standby's warm copy brought up to date, when it has one. */
async function warmed(
  store: PostgresStore,
  follower: PostgresFollower | undefined,
  logger: Logger,
): Promise<Store> {
  if (follower === undefined) return store;
  try {
    await follower.catchUp();
  } catch (error) {
    logger.warn({ err: (error as Error).message }, 'the warm copy is stale: loading the tree');
    return store;
  }
  return new PreloadedStore(store, follower.nodes());
}

/** The admin HTTP of a standby: health and metrics only. */
async function standbyAdmin(
  http: string | null | undefined,
  read: () => { term: number; reason: string | undefined },
  logger: Logger,
): Promise<AdminServer | undefined> {
  const address = http === undefined ? '127.0.0.1:0' : http;
  if (address === null) return undefined;
  const { host, port } = parseAddress(address);
  const metrics = new MetricsRegistry();
  addRoleMetrics(metrics, () => ({ role: 'standby', term: read().term }));
  return AdminServer.listen(
    host,
    port,
    {
      healthy: () => false,
      role: () => {
        const { term, reason } = read();
        return { role: 'standby', term, ...(reason === undefined ? {} : { reason }) };
      },
      metrics: async () => ({ contentType: metrics.contentType, body: await metrics.metrics() }),
      topology: () => ({ root: null, nodes: [] }),
      stats: () => ({ registered: 0, alive: 0, depth: 0 }),
    },
    logger,
  );
}
