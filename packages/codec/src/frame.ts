import type { Address } from './address.js';
import { checkedText, checkUtf8, decodeBody } from './body.js';
import type { Header } from './header.js';
import { type Framing, type Packet, type PacketKind, PacketType } from './packet.js';
import { ResourcedFrame } from './resource.js';

/**
 * A decoded frame, seen through its header: `framing`, `type`, `kind`, `source` and `length` are
 * parsed, the body bytes are kept as they arrived (a view into the read buffer, not a copy). A
 * Message's text is decoded only when `text` or `packet` is first read, so a frame that is only
 * forwarded ({@link Frame.withSource}) never becomes a string. Every other body is small and is
 * decoded, and checked, when the frame is read.
 *
 * Frames come from {@link decodeFrame} and {@link FrameDecoder}; the body is already checked
 * (strict bodies, valid UTF-8), so reading `packet` or `text` never throws.
 */
export class Frame {
  readonly framing: Framing;
  /** The header's type number (1 to 6). */
  readonly type: number;
  /** The hop source: the node that sent this frame. */
  readonly source: Address;
  /** The body bytes, a view into the bytes the frame was read from. Never written to. */
  readonly body: Uint8Array;
  #packet: Packet | undefined;
  #text: string | undefined;

  /** Built by the decoders: `packet` is given for every type but Message, which stays lazy. */
  constructor(header: Header, body: Uint8Array, packet?: Packet) {
    this.framing = header.framing;
    this.type = header.type;
    this.source = header.source;
    this.body = body;
    this.#packet = packet;
  }

  /** Body length in bytes. */
  get length(): number {
    return this.body.length;
  }

  /** The packet kind: for Register, Advertise and Reunion the body tells which of two. */
  get kind(): PacketKind {
    return this.#packet?.kind ?? 'message';
  }

  /** A Message's text, decoded on first read; undefined for every other type. */
  get text(): string | undefined {
    if (this.type !== PacketType.Message) return undefined;
    if (this.#text === undefined) {
      this.#text = checkedText(this.body);
    }
    return this.#text;
  }

  /** The whole packet, built on first read for a Message. */
  get packet(): Packet {
    if (this.#packet === undefined) {
      this.#packet = { kind: 'message', source: this.source, text: this.text as string };
    }
    return this.#packet;
  }

  /**
   * This frame as sent by `source`: the same type and body under a new header, in whichever
   * framing each receiver needs, each encoded at most once (see {@link ResourcedFrame}).
   */
  withSource(source: Address): ResourcedFrame {
    return new ResourcedFrame(this, source);
  }
}

/** Builds the view of a frame whose header is parsed and whose body lies at bytes[start, …). */
export function frameAt(header: Header, bytes: Uint8Array, start: number): Frame {
  const end = start + header.length;
  const body = bytes.subarray(start, end);
  if (header.type === PacketType.Message) return new Frame(header, checkUtf8(body));
  return new Frame(header, body, decodeBody(header.type, bytes, start, end, header.source));
}
