import type { Address, Packet } from '@p2p/codec';
import type { Clock } from '../clock.js';
import type { Timings } from '../timings.js';
import type { HoldLimits } from './held-messages.js';
import type { LosslessOptions } from './lossless-options.js';
import type { DigestPacket, IdentifiedMessagePacket } from './lossless-packets.js';

/*
 * The contract between the tree core and the lossless extension (lossless.ts): what the core
 * provides, what it gets back.
 */

/** A version-1 Message as the codec decodes it. */
export type PlainMessagePacket = Extract<Packet, { kind: 'message' }>;

/** Why something is sent, so the core can count it and choose how to send it. */
export type SendPurpose = 'originate' | 'forward' | 'repair' | 'replay' | 'digest';

/** What `Lossless` needs of the node around it: sockets, neighbours and the application. */
export interface LosslessLink<R = void> {
  /** The current neighbours ('HOST:PORT'): parent and children. */
  neighbours(): Iterable<string>;
  /** Sends an Identified Message or a Digest (only ever to a lossless edge). */
  send(to: string, packet: IdentifiedMessagePacket | DigestPacket, purpose: SendPurpose): R;
  /** Sends a plain version-1 Message of `text`. */
  sendPlain(to: string, text: string, purpose: SendPurpose): R;
  /**
   * A Message for `to`, whose edge is being negotiated, could not be held: its hold is full (see
   * `holdBounds`). Reported as a send a full queue refused.
   */
  holdFull(to: string, purpose: SendPurpose): R;
  /** Hands a Message to the application: `origin` 'HOST:PORT', or null when unknown. */
  deliver(text: string, origin: string | null, from: string): void;
  /** The parent sent a plain Message over a lossless edge: probe it again (10.1.2 item 6). */
  renegotiate(parent: string): void;
  /** The send window towards `neighbour` (undefined: the node's configured one). */
  setWindow(neighbour: string, window: number | undefined): void;
}

export interface LosslessInit<R> {
  /** This node's address. */
  self: Address | string;
  clock: Clock;
  link: LosslessLink<R>;
  timings: Timings;
  options?: Partial<LosslessOptions> | undefined;
  /** This run's epoch, wall-clock ms (default: now). */
  epoch?: number | undefined;
  /** A peer starts fresh (its first attachment asks for nothing of the past); the root does not. */
  fresh?: boolean | undefined;
  /**
   * The limits of the transport's send queue for one neighbour: what is held for an edge being
   * negotiated is bounded to fit it with what the exchange sends beside it (`holdBounds`).
   */
  holdLimits?: HoldLimits | undefined;
}

export interface LosslessCounters {
  /** Identified Messages dropped as already seen. */
  duplicates: number;
  /** Sequence numbers given up on (gaps not repaired in time). */
  skipped: number;
  /** New Messages that came as the repair of a digest exchange. */
  repairedIn: number;
  /** Messages sent to a neighbour because its Digest lacked them. */
  repairedOut: number;
  /** Messages from before this node joined, cached silently (sent by its parent, 10.1.5). */
  inheritedIn: number;
  /** Messages sent to a fresh child's cache because its Digest lacked them. */
  inheritedOut: number;
  /** Plain Messages from version-1 neighbours given an identifier of this node. */
  gatewayed: number;
}

/** What became of a received packet; the last three are drops (reasons of the `dropped` event). */
export type LosslessVerdict =
  | 'new'
  | 'digest'
  | 'duplicate'
  | 'stale-epoch'
  | 'plain-on-lossless-edge'
  /** A plain Message from a parent being negotiated, kept until the outcome. */
  | 'held'
  /** An Identified Message from before this node joined, cached but not delivered (10.1.5). */
  | 'inherited';
