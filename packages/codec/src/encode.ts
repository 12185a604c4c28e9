import { encodeBody } from './body.js';
import { CodecError } from './errors.js';
import { headerLength, writeHeader } from './header.js';
import { type Framing, type Packet, packetType } from './packet.js';

/** Encodes one packet as a whole frame in the given framing. Throws CodecError for an invalid packet. */
export function encode(packet: Packet, framing: Framing): Uint8Array {
  if (framing !== 'binary' && framing !== 'text') {
    throw new CodecError(
      'ERR_INVALID_PACKET',
      `unknown framing ${String(framing)}: expected 'text' or 'binary'`,
    );
  }
  const body = encodeBody(packet);
  const start = headerLength(framing);
  const frame = new Uint8Array(start + body.length);
  writeHeader(frame, framing, packetType(packet.kind), body.length, packet.source);
  frame.set(body, start);
  return frame;
}
