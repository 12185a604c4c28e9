import { PeerError } from '../errors.js';
import type { Timings } from '../timings.js';

/** The bounds of the lossless extension (docs/protocol.md 10.1.9). */
export interface LosslessOptions {
  /** The send window offered on lossless edges. */
  window: number;
  /** The cache holds at most this many Messages… */
  cacheEntries: number;
  /** …and this many bytes, counting each text's UTF-8 bytes plus {@link CACHE_ENTRY_OVERHEAD}… */
  cacheBytes: number;
  /** …none older than this many milliseconds. */
  cacheAge: number;
  /** At most this many origin records (the seen-set). */
  maxOrigins: number;
  /** How long a gap in an origin's sequence waits for a repair before it is skipped, in ms. */
  gapTimeout: number;
}

/**
 * What a cache entry costs on the heap besides its text's bytes, about: 85 bytes measured on
 * Node 20 by bench/lossless-memory.bench.ts (three references, five numbers and a string's
 * header), and the cache's empty slots of 64 bytes (it grows by an eighth: about 6 bytes an entry).
 */
export const CACHE_ENTRY_OVERHEAD = 96;

const MAX_WINDOW = 65_536;

/**
 * The window offered on lossless edges by default: at N = 255 in one process a lossless flood
 * made 318k deliveries/s at 32, 346k at 64, 372k at 128 and 377k at 256 (issue 17); 128 is where
 * the gain levels off. Frames in flight stay within the send queue's limits whatever the window.
 */
export const DEFAULT_LOSSLESS_WINDOW = 128;

/**
 * The defaults for a node running with these timings: a window of 128, a cache of 1,024 Messages, 128 KiB and
 * twice the peer timeout (a re-attachment after a silent failure takes about half a peer timeout
 * plus a placement); gaps wait a peer timeout and a hello interval, long enough for a repair that
 * follows the slowest re-attachment.
 */
export function defaultLosslessOptions(timings: Timings): LosslessOptions {
  return {
    window: DEFAULT_LOSSLESS_WINDOW,
    cacheEntries: 1_024,
    cacheBytes: 128 * 1_024,
    cacheAge: 2 * timings.peerTimeout,
    maxOrigins: 512,
    gapTimeout: timings.peerTimeout + timings.helloInterval,
  };
}

/**
 * The defaults for `timings` with `overrides` over them, checked; frozen, since the parts of the
 * extension read them once, when they are made.
 */
export function resolveLosslessOptions(
  timings: Timings,
  overrides: Partial<LosslessOptions> = {},
): Readonly<LosslessOptions> {
  const merged = { ...defaultLosslessOptions(timings) };
  for (const [name, value] of Object.entries(overrides) as Array<
    [keyof LosslessOptions, unknown]
  >) {
    if (value !== undefined) merged[name] = value as number;
  }
  for (const [name, value] of Object.entries(merged)) {
    const isTime = name === 'cacheAge' || name === 'gapTimeout';
    const valid = isTime
      ? Number.isFinite(value) && value > 0
      : Number.isInteger(value) && value >= 1;
    if (!valid) {
      const what = isTime ? 'a positive number of milliseconds' : 'a positive whole number';
      throw new PeerError(
        'ERR_PEER_INVALID_OPTIONS',
        `lossless option ${name} must be ${what}, got ${String(value)}`,
      );
    }
  }
  if (merged.window > MAX_WINDOW) {
    throw new PeerError(
      'ERR_PEER_INVALID_OPTIONS',
      `lossless option window must be at most ${MAX_WINDOW}, got ${merged.window}`,
    );
  }
  return Object.freeze(merged);
}
