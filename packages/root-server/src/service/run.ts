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
 * or cannot stop within the shutdown timeout.
 */
export async function runRootService(options: RunRootServiceOptions): Promise<void> {
  const { logger, onStarted, shutdownTimeout = 5_000, ...rootOptions } = options;
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
