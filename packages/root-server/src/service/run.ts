import type { Logger } from '@p2p/stream';
import { RootServer, type RootServerOptions } from '../root-server.js';
import { RootStoreError } from '../store/errors.js';
import { isPostgresUrl } from '../store/postgres-store.js';
import { runLeaderOrStandby } from './leader-or-standby.js';

export interface RunRootServiceOptions extends RootServerOptions {
  logger: Logger;
  /** How long a graceful shutdown may take before the process is told to give up. Default 5 s. */
  shutdownTimeout?: number;
  /** Called once the root serves (to print addresses, subscribe to events); as a standby, each time it starts leading. */
  onStarted?: (server: RootServer) => void;
  /**
   * With a `postgres://` store: wait as a standby while another root leads the database, lead
   * when it stops (see `runLeaderOrStandby`). Default false: such a root exits with
   * `ERR_STORE_LOCKED`.
   */
  standby?: boolean;
}

/**
 * Runs a root until SIGINT or SIGTERM, then shuts it down gracefully: stop accepting, close the
 * sockets, flush and close the store. Resolves when it has stopped; rejects if it cannot start
 * or cannot stop within the shutdown timeout.
 */
export async function runRootService(options: RunRootServiceOptions): Promise<void> {
  const { logger, onStarted, shutdownTimeout = 5_000, standby = false, ...rootOptions } = options;
  if (standby) {
    const { store } = rootOptions;
    if (typeof store !== 'string' || !isPostgresUrl(store)) {
      throw new RootStoreError(
        'ERR_STORE_OPEN',
        typeof store === 'string' ? store : '',
        'a standby root needs a postgres:// database (--db) shared with the other roots',
      );
    }
    const controller = new AbortController();
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      logger.info({ signal }, 'shutting down');
      controller.abort();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    try {
      await runLeaderOrStandby({
        ...rootOptions,
        store,
        logger,
        signal: controller.signal,
        ...(onStarted === undefined ? {} : { onStarted }),
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return;
  }
  const server = await RootServer.start({ ...rootOptions, logger });
  onStarted?.(server);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`shutdown took longer than ${shutdownTimeout} ms`)),
      shutdownTimeout,
    );
    timer.unref();
  });
  try {
    await Promise.race([server.close(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
