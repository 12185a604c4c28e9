import type { CapabilitiesPacket, DigestPacket, IdentifiedMessagePacket } from '@p2p/codec';

/*
 * The packets of the lossless extension (docs/protocol.md 10.1.1) are the codec's; the
 * extension's files import them from here under the names they have always used.
 */
export {
  type CapabilitiesPacket,
  type DigestEntry,
  type DigestPacket,
  type IdentifiedMessagePacket,
  MAX_DIGEST_ENTRIES,
} from '@p2p/codec';

export type LosslessPacket = IdentifiedMessagePacket | DigestPacket | CapabilitiesPacket;
