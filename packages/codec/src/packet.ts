import type { Address } from './address.js';

/** The two wire framings of the same packets (protocol.md section 2). */
export type Framing = 'text' | 'binary';

/** A packet as the protocol defines it; `source` is the node that sent this hop. */
export type Packet =
  | { kind: 'register-request'; source: Address; address: Address }
  | { kind: 'register-response'; source: Address }
  | { kind: 'advertise-request'; source: Address }
  | { kind: 'advertise-response'; source: Address; parent: Address }
  | { kind: 'join'; source: Address }
  | { kind: 'message'; source: Address; text: string }
  | { kind: 'reunion-hello'; source: Address; path: Address[] }
  | { kind: 'reunion-hello-back'; source: Address; path: Address[] }
  | { kind: 'leave'; source: Address }
  | CapabilitiesPacket
  | IdentifiedMessagePacket
  | DigestPacket;

/**
 * Type 7, an extension (docs/protocol.md 10.1.1): `REQ` (offer) or `RES` (answer) and the
 * capabilities of the sender, e.g. `{ ids: 1, window: 32 }`. Decoding keeps only the names this
 * codec knows ({@link KNOWN_CAPABILITIES}); unknown ones are skipped, not refused.
 */
export interface CapabilitiesPacket {
  kind: 'capabilities-offer' | 'capabilities-answer';
  source: Address;
  capabilities: Record<string, number>;
}

/** What names one Message of the lossless extension: the origin's run and its place in it. */
export interface MessageIdentity {
  /** `origin`: the origin wrote the text; `gateway`: it came to the origin as a plain Message. */
  author: 'origin' | 'gateway';
  /** `S` on the wire: nothing earlier of this origin can still be repaired; `C` (false) otherwise. */
  start: boolean;
  origin: Address;
  /** The origin's start time, milliseconds since 1970 (13 digits). */
  epoch: number;
  /** 1 for the origin's first Message of this epoch (12 digits, never 0). */
  seq: number;
}

/** Type 8, an extension: a Message with its identifier (docs/protocol.md 10.1.1). */
export interface IdentifiedMessagePacket extends MessageIdentity {
  kind: 'identified-message';
  source: Address;
  text: string;
}

/** One origin of a Digest: every Message of it up to `hwm` has been delivered by the sender. */
export interface DigestEntry {
  origin: Address;
  epoch: number;
  /** High-water mark, 0 to 999,999,999,999. */
  hwm: number;
}

/** Type 9, an extension: what the sender has seen, sent when an edge becomes lossless. */
export interface DigestPacket {
  kind: 'digest';
  source: Address;
  /** `F` on the wire: the sender is a peer on its first attachment; send it nothing of the past. */
  fresh: boolean;
  entries: DigestEntry[];
}

export type PacketKind = Packet['kind'];

/** One decoded frame: the packet and the framing it arrived in. */
export interface DecodedFrame {
  packet: Packet;
  framing: Framing;
}

/** The header's type numbers (protocol.md section 2). */
export const PacketType = {
  Register: 1,
  Advertise: 2,
  Join: 3,
  Message: 4,
  Reunion: 5,
  /**
   * An extension of this implementation: a child tells the parent it left that it is gone (it
   * joined another parent). Body `LEAVE`. The reference prints "Unexpected type" and carries on.
   */
  Leave: 6,
  /** Extension (lossless, docs/protocol.md 10.1): a capabilities offer or answer. */
  Capabilities: 7,
  /** Extension (lossless): a Message with its identifier. */
  IdentifiedMessage: 8,
  /** Extension (lossless): per-origin high-water marks. */
  Digest: 9,
} as const;

export type PacketTypeNumber = (typeof PacketType)[keyof typeof PacketType];

const typeOfKind: Record<PacketKind, PacketTypeNumber> = {
  'register-request': PacketType.Register,
  'register-response': PacketType.Register,
  'advertise-request': PacketType.Advertise,
  'advertise-response': PacketType.Advertise,
  join: PacketType.Join,
  message: PacketType.Message,
  'reunion-hello': PacketType.Reunion,
  'reunion-hello-back': PacketType.Reunion,
  leave: PacketType.Leave,
  'capabilities-offer': PacketType.Capabilities,
  'capabilities-answer': PacketType.Capabilities,
  'identified-message': PacketType.IdentifiedMessage,
  digest: PacketType.Digest,
};

/** The header type number a packet kind travels under. */
export function packetType(kind: PacketKind): PacketTypeNumber {
  return typeOfKind[kind];
}

/** Most entries a Reunion body can carry: the count field has two digits. */
export const MAX_PATH_ENTRIES = 99;

/** Most entries a Digest carries: 5 + 45 × 1,400 = 63,005 body bytes, under a 64 KiB body. */
export const MAX_DIGEST_ENTRIES = 1_400;

/** The capability names decoding keeps (docs/protocol.md 10.1.1); others are skipped. */
export const KNOWN_CAPABILITIES: readonly string[] = ['ids', 'window'];
