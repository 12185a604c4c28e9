import type { StreamError } from './errors.js';

/** Called once per send: with no error when its ACK arrived, else with why it failed. */
export type SendSettled = (error?: StreamError) => void;

/**
 * Calls a send's callback. A callback that throws must not leave the transport half updated nor
 * stop the caller's loop: the error is rethrown on its own, as an uncaught exception, once the
 * current work is done.
 */
export function callSettled(
  settled: SendSettled | undefined,
  error: StreamError | undefined,
): void {
  if (settled === undefined) return;
  try {
    settled(error);
  } catch (thrown) {
    queueMicrotask(() => {
      throw thrown;
    });
  }
}
