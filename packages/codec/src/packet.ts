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
  | { kind: 'leave'; source: Address };

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
};

/** The header type number a packet kind travels under. */
export function packetType(kind: PacketKind): PacketTypeNumber {
  return typeOfKind[kind];
}

/** Most entries a Reunion body can carry: the count field has two digits. */
export const MAX_PATH_ENTRIES = 99;
