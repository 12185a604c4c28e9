import { type Address, type Framing, parseAddress } from '@p2p/codec';
import type { Logger, StreamNodeOptions } from '@p2p/stream';
import type { Clock } from '../clock.js';
import type { RateLimit } from '../core/rate-limit.js';
import { PeerError } from '../errors.js';
import type { LosslessOptions } from '../lossless/lossless-options.js';
import { resolveTimings, type TimingProfile, type Timings } from '../timings.js';
import type { Transport } from '../transport.js';
import type { RootOption } from './root-addresses.js';

export type PeerMode = 'auto' | 'manual';

interface PeerCommonOptions {
  /**
   * The root's address, 'HOST:PORT'; several (active/standby roots, each on its own address):
   * 'A,B' or a list. The peer talks to one at a time and moves to the next when it is unreachable.
   */
  root: RootOption;
  /** 'auto' (default) registers and advertises at start; 'manual' waits for register()/advertise(). */
  mode?: PeerMode;
  /** Timers in ms, or a profile: 'reference' (default: 4 s / 38 s) or 'fast'. */
  timings?: Partial<Timings> | TimingProfile;
  /** How long to wait for the root's answer to Register or Advertise before asking again. */
  requestTimeout?: number;
  /** Backoff between attempts to reach the root: first and largest delay in ms. */
  retry?: { initialMs?: number; maxMs?: number };
  logger?: Logger;
  clock?: Clock;
  /** Accept a Join from this node? Default: every Join. */
  acceptJoin?: (from: string) => boolean;
  /** Messages per second each neighbour may send (default 5,000, bursts of 10,000); false: no limit. */
  messageRate?: RateLimit | false;
  /**
   * The address other nodes reach this peer at, put in its packets, when it is not the listening
   * address (a forwarded port…); port 0 means the listening port. Default: the listening address,
   * or for a peer listening on 0.0.0.0 the interface that reaches the root.
   */
  advertise?: string | Address;
  /**
   * Largest Message text in UTF-8 bytes (originated and forwarded). Default 2,028 with a window of
   * 1 (what a lock-step binary node takes), else 65,536.
   */
  maxMessageBytes?: number;
  /**
   * The lossless extension (docs/protocol.md): on by default (Messages between our
   * nodes carry identifiers and are repaired on re-attachment; a send window of 128 between them);
   * its bounds when given; false: plain protocol version 1.
   */
  lossless?: boolean | Partial<LosslessOptions>;
  /**
   * Take the lossless extension's packets (offers, Digests, Identified Messages) only from the IP
   * their source claims, dropping the others as `spoofed-source` (docs/protocol.md 10.1.2 item 8;
   * the root's own are exempt). Default: on unless the peer listens on loopback.
   */
  verifySourceIp?: boolean;
}

/** Options of `Peer.start`: the peer opens its own TCP server. */
export interface PeerOptions extends PeerCommonOptions {
  /** This peer's server address, 'HOST:PORT' (port 0: the OS picks). */
  listen: string | Address;
  /** Framing for nodes not yet heard from (default 'binary'). */
  framing?: Framing;
  /** Unacknowledged packets per connection (default 1, lock-step). */
  window?: number;
  /** Further transport options (timeouts, limits). */
  stream?: Omit<StreamNodeOptions, 'listen' | 'defaultFraming' | 'window' | 'logger'>;
}

/** Options of the constructor: a transport made elsewhere (tests, embedding). */
export interface PeerInit extends PeerCommonOptions {
  transport: Transport;
  /** The transport's send window (default 1), for the Message size limits. */
  window?: number;
}

/** The peer's own settings, checked, with their defaults. */
export interface PeerSettings {
  mode: PeerMode;
  timings: Timings;
  requestTimeout: number;
  retry: { initialMs: number; maxMs: number };
}

/** Checks the peer's own options and fills in their defaults; ERR_PEER_INVALID_OPTIONS if wrong. */
export function peerSettings(init: PeerCommonOptions): PeerSettings {
  const mode = init.mode ?? 'auto';
  if (mode !== 'auto' && mode !== 'manual') {
    throw new PeerError(
      'ERR_PEER_INVALID_OPTIONS',
      `mode must be 'auto' or 'manual', got ${String(mode)}`,
    );
  }
  const timings = resolveTimings(init.timings);
  return {
    mode,
    timings,
    requestTimeout:
      init.requestTimeout ?? Math.min(5_000, Math.max(1_000, timings.helloInterval * 2)),
    retry: { initialMs: init.retry?.initialMs ?? 250, maxMs: init.retry?.maxMs ?? 10_000 },
  };
}

/** An address option as an Address; ERR_PEER_INVALID_OPTIONS naming the option if it is not one. */
export function addressOption(name: string, value: string | Address): Address {
  try {
    return typeof value === 'string' ? parseAddress(value) : value;
  } catch (error) {
    throw new PeerError(
      'ERR_PEER_INVALID_OPTIONS',
      `invalid ${name} address: ${(error as Error).message}`,
    );
  }
}
