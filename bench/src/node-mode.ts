import { DEFAULT_LOSSLESS_WINDOW } from '@p2p/peer';

/**
 * How every node of a benchmark network runs: plain version 1 with a configured send window, or
 * the lossless extension, whose edges between our nodes use the window they negotiate.
 */
export interface NodeMode {
  lossless: boolean;
  /**
   * Version 1: `window` of every node (1: lock-step). Lossless: the window the extension offers
   * ({@link NEGOTIATED_WINDOW}: the default configuration; 1 forces its edges to lock-step).
   */
  window: number;
}

/** The extension's default offer (docs/protocol.md 10.1.7). */
export const NEGOTIATED_WINDOW = DEFAULT_LOSSLESS_WINDOW;

export const lockStep: NodeMode = { lossless: false, window: 1 };
export const defaultMode: NodeMode = { lossless: true, window: NEGOTIATED_WINDOW };

/** The options of `Peer.start` and `RootServer.start` for a mode. */
export function nodeOptions(mode: NodeMode): {
  window: number;
  lossless: boolean | { window: number };
} {
  if (!mode.lossless) return { window: mode.window, lossless: false };
  // Nothing set beyond the defaults, so the default configuration is what is measured.
  return {
    window: 1,
    lossless: mode.window === NEGOTIATED_WINDOW ? true : { window: mode.window },
  };
}

export function modeName(mode: NodeMode): string {
  if (!mode.lossless) return mode.window === 1 ? 'v1 lock-step' : `v1 window ${mode.window}`;
  return mode.window === NEGOTIATED_WINDOW
    ? 'lossless (default)'
    : `lossless window ${mode.window}`;
}
