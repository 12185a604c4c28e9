/**
 * Calls a user's callback. One that throws must not leave the transport half updated nor stop the
 * caller's loop: the error is rethrown on its own, as an uncaught exception, once the current work
 * is done.
 */
export function callSafely<T>(callback: (value: T) => void, value: T): void {
  try {
    callback(value);
  } catch (thrown) {
    queueMicrotask(() => {
      throw thrown;
    });
  }
}
