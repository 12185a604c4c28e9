import { bodyText, pathBodyLength, writePathBody } from './body.js';
import { CodecError } from './errors.js';
import { digestBodyLength, writeDigestBody } from './extension-bodies.js';
import { headerLength, writeHeader } from './header.js';
import { type Framing, type Packet, packetType } from './packet.js';

export function unknownFraming(framing: unknown): CodecError {
  return new CodecError(
    'ERR_CODEC_INVALID_ARGUMENT',
    `unknown framing ${String(framing)}: expected 'text' or 'binary'`,
  );
}

/** Encodes one packet as a whole frame in the given framing. Throws CodecError for an invalid packet. */
export function encode(packet: Packet, framing: Framing): Uint8Array {
  if (framing !== 'binary' && framing !== 'text') throw unknownFraming(framing);
  if (packet === null || typeof packet !== 'object')
    throw new CodecError('ERR_CODEC_INVALID_PACKET', 'a packet must be an object');
  const start = headerLength(framing);
  if (packet.kind === 'reunion-hello' || packet.kind === 'reunion-hello-back') {
    // Paths are the root's hot path: written byte by byte, no strings built.
    const length = pathBodyLength(packet.path);
    const frame = Buffer.allocUnsafe(start + length);
    writeHeader(frame, framing, packetType(packet.kind), length, packet.source);
    writePathBody(frame, start, packet.kind === 'reunion-hello', packet.path);
    return frame;
  }
  if (packet.kind === 'digest') {
    // Up to 63,005 bytes: written byte by byte like a path.
    const length = digestBodyLength(packet);
    const frame = Buffer.allocUnsafe(start + length);
    writeHeader(frame, framing, packetType(packet.kind), length, packet.source);
    writeDigestBody(frame, start, packet);
    return frame;
  }
  const body = bodyText(packet);
  // Node's Buffer encodes UTF-8 several times faster than TextEncoder, straight into the frame.
  const length = Buffer.byteLength(body, 'utf8');
  const frame = Buffer.allocUnsafe(start + length);
  writeHeader(frame, framing, packetType(packet.kind), length, packet.source);
  frame.write(body, start, length, 'utf8');
  return frame;
}
