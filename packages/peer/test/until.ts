/** Something with listeners: a Peer, a StandInRoot. */
export interface Emitter {
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/** Resolves once `check` holds, re-checked on each of `events` of `emitters`; rejects after `ms`. */
export function until(
  what: string,
  check: () => boolean,
  emitters: Emitter[],
  events: string[],
  ms = 10_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const listener = () => {
      if (!check()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: not within ${ms} ms`));
    }, ms);
    const cleanup = () => {
      clearTimeout(timer);
      for (const emitter of emitters) for (const event of events) emitter.off(event, listener);
    };
    for (const emitter of emitters) for (const event of events) emitter.on(event, listener);
    listener();
  });
}
