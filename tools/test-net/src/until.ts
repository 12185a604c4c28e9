/** Something with listeners: a Peer, a RootServer, a stand-in root. */
export interface Emitter {
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/**
 * Resolves when `check()` holds, re-checking whenever one of `events` fires on one of `emitters`;
 * rejects after `ms` with `what` in the message. Waits for events, never for a fixed time.
 */
export function until(
  what: string,
  check: () => boolean,
  emitters: Emitter[],
  events: string[],
  ms = 15_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = () => {
      if (!check()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${ms} ms waiting for: ${what}`));
    }, ms);
    const cleanup = () => {
      clearTimeout(timer);
      for (const emitter of emitters) for (const event of events) emitter.off(event, listener);
    };
    for (const emitter of emitters) for (const event of events) emitter.on(event, listener);
    listener();
  });
}
