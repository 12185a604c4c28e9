import type { Address } from './address.js';
import { encode, unknownFraming } from './encode.js';
import type { Frame } from './frame.js';
import { headerLength, writeHeader } from './header.js';
import type { Framing, Packet } from './packet.js';

/**
 * A frame to send in either framing: the transport asks for the bytes in each receiver's framing.
 * Implementations encode at most once per framing and hand out the same bytes afterwards, which
 * must not be written to.
 */
export interface OutgoingFrame {
  /** The whole frame in `framing`. Throws CodecError when it cannot be written in it. */
  bytes(framing: Framing): Uint8Array;
}

/**
 * `frame` as sent by `source`, in `framing`: a new header, then the body bytes copied as they are.
 * A body is the same in both framings (protocol.md section 3), so it is never decoded nor
 * re-encoded. Throws CodecError ERR_CODEC_BODY_TOO_LARGE for a text-framed body over 99,999 bytes
 * and ERR_CODEC_INVALID_PACKET for a bad source.
 */
export function resourced(frame: Frame, source: Address, framing: Framing): Uint8Array {
  if (framing !== 'binary' && framing !== 'text') throw unknownFraming(framing);
  const start = headerLength(framing);
  const bytes = Buffer.allocUnsafe(start + frame.body.length);
  writeHeader(bytes, framing, frame.type, frame.body.length, source);
  bytes.set(frame.body, start);
  return bytes;
}

/** Encodes at most once per framing: later calls hand out the same bytes. */
abstract class EncodedOnce implements OutgoingFrame {
  #binary: Uint8Array | undefined;
  #text: Uint8Array | undefined;

  bytes(framing: Framing): Uint8Array {
    if (framing === 'binary') {
      this.#binary ??= this.encode(framing);
      return this.#binary;
    }
    this.#text ??= this.encode(framing);
    return this.#text;
  }

  protected abstract encode(framing: Framing): Uint8Array;
}

/** A received frame re-sourced as `source` ({@link Frame.withSource}), encoded once per framing. */
export class ResourcedFrame extends EncodedOnce {
  readonly frame: Frame;
  readonly source: Address;

  constructor(frame: Frame, source: Address) {
    super();
    this.frame = frame;
    this.source = source;
  }

  protected encode(framing: Framing): Uint8Array {
    return resourced(this.frame, this.source, framing);
  }
}

/** A packet to send in either framing (an originated flood), encoded once per framing. */
export class PacketFrame extends EncodedOnce {
  readonly packet: Packet;

  constructor(packet: Packet) {
    super();
    this.packet = packet;
  }

  protected encode(framing: Framing): Uint8Array {
    return encode(this.packet, framing);
  }
}
