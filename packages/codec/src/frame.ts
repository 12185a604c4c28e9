import type { Address } from './address.js';
import { checkedText, checkUtf8, decodeBody } from './body.js';
import { IDENTITY_LENGTH, readIdentity } from './extension-bodies.js';
import type { Header } from './header.js';
import {
  type Framing,
  type MessageIdentity,
  type Packet,
  type PacketKind,
  PacketType,
} from './packet.js';
import { ResourcedFrame } from './resource.js';

/**
 * A decoded frame, seen through its header: `framing`, `type`, `kind`, `source` and `length` are
 * parsed, the body bytes are kept as they arrived (a view into the read buffer, not a copy). The
 * text of a Message or an Identified Message is decoded only when `text` or `packet` is first
 * read, so a frame that is only forwarded ({@link Frame.withSource}) never becomes a string (an
 * Identified Message's identifier is parsed at once: {@link Frame.identity}). Every other body is
 * decoded, and checked, when the frame is read.
 *
 * Frames come from {@link decodeFrame} and {@link FrameDecoder}; the body is already checked
 * (strict bodies, valid UTF-8), so reading `packet` or `text` never throws.
 */
export class Frame {
  readonly framing: Framing;
  /** The header's type number (1 to 9). */
  readonly type: number;
  /** The packet kind: for Register, Advertise, Reunion and Capabilities the body tells which of two. */
  readonly kind: PacketKind;
  /** The hop source: the node that sent this frame (frozen: frames of one source share it). */
  readonly source: Address;
  /** Body length in bytes. */
  readonly length: number;
  /** An Identified Message's identifier (its 47-byte prefix, parsed); undefined for other types. */
  readonly identity: MessageIdentity | undefined;
  /** The bytes the frame was read from, and where its body starts in them. */
  readonly #bytes: Uint8Array;
  readonly #start: number;
  #body: Uint8Array | undefined;
  #packet: Packet | undefined;
  #text: string | undefined;

  /**
   * Built by the decoders from a parsed header and the bytes whose `start` begins its checked
   * body: `packet` is given for every type but the two Messages, which stay lazy; `identity` for
   * an Identified Message.
   */
  constructor(
    header: Header,
    bytes: Uint8Array,
    start: number,
    packet?: Packet,
    identity?: MessageIdentity,
  ) {
    this.framing = header.framing;
    this.type = header.type;
    this.kind = packet?.kind ?? (identity === undefined ? 'message' : 'identified-message');
    this.source = header.source;
    this.length = header.length;
    this.identity = identity;
    this.#bytes = bytes;
    this.#start = start;
    this.#packet = packet;
  }

  /**
   * The body bytes, a view into the bytes the frame was read from (made when first read, not a
   * copy). Never written to.
   */
  get body(): Uint8Array {
    this.#body ??= this.#bytes.subarray(this.#start, this.#start + this.length);
    return this.#body;
  }

  /** The text of a Message or Identified Message, decoded on first read; undefined for other types. */
  get text(): string | undefined {
    if (this.#text === undefined) {
      const end = this.#start + this.length;
      if (this.type === PacketType.Message) this.#text = checkedText(this.#bytes, this.#start, end);
      else if (this.identity !== undefined)
        this.#text = checkedText(this.#bytes, this.#start + IDENTITY_LENGTH, end);
    }
    return this.#text;
  }

  /** The whole packet, built on first read for the two Messages. */
  get packet(): Packet {
    if (this.#packet === undefined) {
      const text = this.text as string;
      this.#packet =
        this.identity === undefined
          ? { kind: 'message', source: this.source, text }
          : { kind: 'identified-message', source: this.source, ...this.identity, text };
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
  const type = header.type;
  if (type === PacketType.Message) {
    checkUtf8(bytes, start, end);
    return new Frame(header, bytes, start);
  }
  if (type === PacketType.IdentifiedMessage) {
    const identity = readIdentity(bytes, start, end);
    // The identifier is ASCII (just read strictly), so the whole body is UTF-8 exactly when its
    // text is.
    checkUtf8(bytes, start, end);
    return new Frame(header, bytes, start, undefined, identity);
  }
  return new Frame(header, bytes, start, decodeBody(type, bytes, start, end, header.source));
}
