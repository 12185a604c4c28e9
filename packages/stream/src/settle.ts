import { callSafely } from './call-safely.js';
import type { StreamError } from './errors.js';
import { FloodTally } from './flood.js';

/** Called once per send: with no error when its ACK arrived, else with why it failed. */
export type SendSettled = (error?: StreamError) => void;

/** Who learns how one queued send ended: a callback, the tally of its flood, or nobody. */
export type Settlement = SendSettled | FloodTally | undefined;

/** Reports how a send ended. */
export function settle(settlement: Settlement, error: StreamError | undefined): void {
  if (settlement === undefined) return;
  if (settlement instanceof FloodTally) {
    settlement.settle(error);
    return;
  }
  callSafely(settlement, error);
}
