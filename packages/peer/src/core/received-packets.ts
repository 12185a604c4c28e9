import type { Address, Frame } from '@p2p/codec';
import type { PlainMessagePacket } from '../lossless/lossless-link.js';
import type { IdentifiedMessagePacket } from '../lossless/lossless-packets.js';

/**
 * Received Message frames as the packets `Lossless.receive` takes. An Identified Message's is one
 * scratch packet, filled in for the call: `Lossless.receive` keeps nothing of the packet itself,
 * and reading `frame.packet` would build (and keep with the frame) an object per Message.
 */
export class ReceivedPackets {
  readonly #scratch: IdentifiedMessagePacket;

  constructor(self: Address) {
    this.#scratch = {
      kind: 'identified-message',
      source: self,
      author: 'origin',
      start: false,
      origin: self,
      epoch: 0,
      seq: 1,
      text: '',
    };
  }

  /** The packet of `frame`, valid until the next call. */
  packetOf(frame: Frame): IdentifiedMessagePacket | PlainMessagePacket {
    const identity = frame.identity;
    if (identity === undefined) return frame.packet as PlainMessagePacket;
    const packet = this.#scratch;
    packet.source = frame.source;
    packet.author = identity.author;
    packet.start = identity.start;
    packet.origin = identity.origin;
    packet.epoch = identity.epoch;
    packet.seq = identity.seq;
    packet.text = frame.text as string;
    return packet;
  }
}
