import type { Logger } from '@p2p/stream';
import { RootServer, type RootServerOptions } from '../root-server.js';

export interface RunRootServiceOptions extends RootServerOptions {
  logger: Logger;
  /** How long a graceful shutdown may take before the process is told to give up. Default 5 s. */
  shutdownTimeout?: number;
  /** Called once the root serves (to print addresses, subscribe to events). */
  onStarted?: (server: RootServer) => void;
}

/**
 * Runs a root until SIGINT or SIGTERM, then shuts it down gracefully: stop accepting, close the
 * sockets, flush and close the store. Resolves when it has stopped; rejects if it cannot start
 * or cannot stop within the shutdown timeout. Made for a process that ends with the root: from
 * then on SIGINT and SIGTERM are ignored (see `ignoreLateSignal`).
 */
export async function runRootService(options: RunRootServiceOptions): Promise<void> {
  const { logger, onStarted, shutdownTimeout = 5_000, ...rootOptions } = options;
  // Listening from the start: a Ctrl-C while the root starts stops it as soon as it has started.
  // A Ctrl-C reaches every process of the terminal's group, and a runner in between (pnpm)
  // forwards it once more: a second signal must not cut the graceful shutdown short.
  let stopRequested = (): void => {};
  const requested = new Promise<void>((resolve) => {
    stopRequested = resolve;
  });
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return logger.debug({ signal }, 'already shutting down');
    stopping = true;
    logger.info({ signal }, 'shutting down');
    stopRequested();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const server = await RootServer.start({ ...rootOptions, logger });
    onStarted?.(server);
    await requested;
    await closeWithin(server, shutdownTimeout);
  } finally {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.off(signal, stop);
      if (!process.listeners(signal).includes(ignoreLateSignal))
        process.on(signal, ignoreLateSignal);
    }
  }
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
