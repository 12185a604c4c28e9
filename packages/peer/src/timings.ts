import { PeerError } from './errors.js';

/** Protocol timers in milliseconds (protocol.md 5.6). */
export interface Timings {
  /** A non-root peer sends a hello this often when none is outstanding. */
  helloInterval: number;
  /** A peer whose hello is not answered within this long is in reunion failure. */
  peerTimeout: number;
  /** The root turns off a node not heard from within this long. */
  rootTimeout: number;
}

/** The reference values: keep them in mixed networks, where other implementations use them. */
export const referenceTimings: Readonly<Timings> = Object.freeze({
  helloInterval: 4_000,
  peerTimeout: 38_000,
  rootTimeout: 36_000,
});

/**
 * The same proportions sixteen times faster: a silent failure is noticed in about 2.4 s instead
 * of 38 s. Every node of a network must use the same profile.
 */
export const fastTimings: Readonly<Timings> = Object.freeze({
  helloInterval: 250,
  peerTimeout: 2_375,
  rootTimeout: 2_250,
});

export type TimingProfile = 'reference' | 'fast';

/** Resolves a profile name or partial timings over the reference values, checking them. */
export function resolveTimings(timings: Partial<Timings> | TimingProfile | undefined): Timings {
  const base = timings === 'fast' ? fastTimings : referenceTimings;
  const merged: Timings = { ...base, ...(typeof timings === 'object' ? timings : {}) };
  for (const [name, value] of Object.entries(merged)) {
    if (!Number.isFinite(value) || value <= 0) {
      throw new PeerError(
        'ERR_PEER_INVALID_OPTIONS',
        `timing ${name} must be a positive number of milliseconds, got ${String(value)}`,
      );
    }
  }
  return merged;
}
