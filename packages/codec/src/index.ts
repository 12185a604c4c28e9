export {
  type Address,
  formatAddress,
  formatEntry,
  isLoopbackHost,
  isWildcardHost,
  normaliseAddress,
  parseAddress,
  plainHost,
  sameAddress,
} from './address.js';
export { type DecodeOptions, decode, decodeFrame } from './decode.js';
export { encode } from './encode.js';
export { CodecError, type CodecErrorCode } from './errors.js';
export { IDENTITY_LENGTH } from './extension-bodies.js';
export { Frame } from './frame.js';
export { DEFAULT_MAX_BODY_SIZE, FrameDecoder, type FrameDecoderOptions } from './frame-decoder.js';
export { BINARY_HEADER_LENGTH, TEXT_HEADER_LENGTH, TEXT_MAX_BODY_LENGTH } from './header.js';
export {
  type CapabilitiesPacket,
  type DecodedFrame,
  type DigestEntry,
  type DigestPacket,
  type Framing,
  type IdentifiedMessagePacket,
  KNOWN_CAPABILITIES,
  MAX_DIGEST_ENTRIES,
  MAX_PATH_ENTRIES,
  type MessageIdentity,
  type Packet,
  type PacketKind,
  PacketType,
  packetType,
} from './packet.js';
export {
  type OutgoingFrame,
  PacketFrame,
  ResourcedFrame,
  resourced,
} from './resource.js';
