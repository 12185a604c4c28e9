import type { Address } from '@p2p/codec';

/*
 * The packets of the lossless extension (docs/lossless-extension.md 10.1.1), as the codec will
 * decode them: same kind and field names. They live here until @p2p/codec has them; then this file
 * re-exports the codec's types.
 */

/** Type 8: a Message with its identifier (origin, epoch, sequence number). */
export interface IdentifiedMessagePacket {
  kind: 'identified-message';
  source: Address;
  /** `origin`: the origin wrote the text; `gateway`: it came to the origin as a plain Message. */
  author: 'origin' | 'gateway';
  /** `S`: nothing earlier of this origin can still be repaired; `C` (false) otherwise. */
  start: boolean;
  origin: Address;
  /** The origin's start time, milliseconds since 1970. */
  epoch: number;
  /** 1 for the origin's first Message of this epoch. */
  seq: number;
  text: string;
}

/** One origin of a Digest: every Message of it up to `hwm` has been delivered by the sender. */
export interface DigestEntry {
  origin: Address;
  epoch: number;
  hwm: number;
}

/** Type 9: what the sender has seen, sent when an edge becomes lossless. */
export interface DigestPacket {
  kind: 'digest';
  source: Address;
  /** The sender is a peer on its first attachment: send it nothing of the past. */
  fresh: boolean;
  entries: DigestEntry[];
}

/** Type 7: `REQ` (offer) or `RES` (answer), e.g. `{ ids: 1, window: 32 }`. */
export interface CapabilitiesPacket {
  kind: 'capabilities-offer' | 'capabilities-answer';
  source: Address;
  capabilities: Record<string, number>;
}

export type LosslessPacket = IdentifiedMessagePacket | DigestPacket | CapabilitiesPacket;

/** The most entries a Digest carries (63,005 body bytes). */
export const MAX_DIGEST_ENTRIES = 1_400;
