import type { Logger } from '@p2p/stream';
import { storeError } from '../errors.js';
import { RootServer, type RootServerOptions } from '../root-server.js';
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
   * `ERR_ROOT_STORE_LOCKED`.
   */
  standby?: boolean;
}

/**
 * Runs a root until SIGINT or SIGTERM, then shuts it down gracefully: stop accepting, close the
 * sockets, flush and close the store. Resolves when it has stopped; rejects if it cannot start
 * or cannot stop within the shutdown timeout. Made for a process that ends with the root: from
 * then on SIGINT and SIGTERM are ignored (see `ignoreLateSignal`).
 */
export async function runRootService(options: RunRootServiceOptions): Promise<void> {
  const { logger, onStarted, shutdownTimeout = 5_000, standby = false, ...rootOptions } = options;
  const standbyStore = standby ? standbyUrl(rootOptions.store) : undefined;
  // Listening from the start: a Ctrl-C while the root starts stops it as soon as it has started.
  // A Ctrl-C reaches every process of the terminal's group, and a runner in between (pnpm)
  // forwards it once more: a second signal must not cut the graceful shutdown short.
  const controller = new AbortController();
  const requested = new Promise<void>((resolve) => {
    controller.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return logger.debug({ signal }, 'already shutting down');
    stopping = true;
    logger.info({ signal }, 'shutting down');
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    if (standbyStore !== undefined) {
      await runLeaderOrStandby({
        ...rootOptions,
        store: standbyStore,
        logger,
        signal: controller.signal,
        ...(onStarted === undefined ? {} : { onStarted }),
      });
      return;
    }
    const server = await RootServer.start({ ...rootOptions, logger });
    onStarted?.(server);
    await requested;
    await closeWithin(server, shutdownTimeout);
  } finally {
    // The ignoring listener goes on before `stop` comes off: with no listener left for a moment,
    // Node restores the default action, and a signal arriving then ends the process.
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      if (!process.listeners(signal).includes(ignoreLateSignal))
        process.on(signal, ignoreLateSignal);
      process.off(signal, stop);
    }
  }
}

/** The shared database of a standby root: only a `postgres://` URL can be shared. */
function standbyUrl(store: RootServerOptions['store']): string {
  if (typeof store === 'string' && isPostgresUrl(store)) return store;
  throw storeError(
    'ERR_ROOT_STORE_OPEN',
    typeof store === 'string' ? store : '',
    'a standby root needs a postgres:// database (--db) shared with the other roots',
  );
}

/**
 * Left installed once the root has stopped (one listener per signal, however many roots ran): a
 * runner such as pnpm forwards the Ctrl-C it also received, sometimes after the root has already
 * shut down, and the process must still end with its own exit code rather than by the signal
 * (which the runner reports as "ELIFECYCLE Command failed"). The process is ending anyway.
 */
function ignoreLateSignal(): void {}

/** Closes the server, or rejects when that takes longer than `ms`. */
async function closeWithin(server: RootServer, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`shutdown took longer than ${ms} ms`)), ms);
    timer.unref();
  });
  try {
    await Promise.race([server.close(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
