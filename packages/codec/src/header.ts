import { type Address, hostOf, octetsOfAddress, readDigits, writeDigits } from './address.js';
import { CodecError } from './errors.js';
import type { Framing } from './packet.js';

export const BINARY_HEADER_LENGTH = 20;
export const TEXT_HEADER_LENGTH = 28;
/** The text header's length field has five digits. */
export const TEXT_MAX_BODY_LENGTH = 99_999;
/** Types 1 to 6, and 7 to 9 of the lossless extension. */
const MAX_TYPE = 9;

export interface Header {
  framing: Framing;
  type: number;
  length: number;
  source: Address;
}

/** What {@link HeaderReader.source} is before the first header. */
const NO_SOURCE: Address = Object.freeze({ host: '0.0.0.0', port: 0 });

/** The framing a frame starting with `firstByte` uses (protocol.md 2.3). */
export function framingOf(firstByte: number): Framing {
  if (firstByte === 0x00) return 'binary';
  if (firstByte === 0x31) return 'text';
  if (firstByte >= 0x30 && firstByte <= 0x39) {
    throw new CodecError(
      'ERR_CODEC_VERSION',
      `unsupported text version ${String.fromCharCode(firstByte)}: only version 1 exists`,
    );
  }
  throw new CodecError(
    'ERR_CODEC_UNKNOWN_FRAMING',
    `first byte 0x${firstByte.toString(16).padStart(2, '0')} starts neither a binary (0x00) nor a text ('1') frame`,
  );
}

export function headerLength(framing: Framing): number {
  return framing === 'binary' ? BINARY_HEADER_LENGTH : TEXT_HEADER_LENGTH;
}

function checkType(type: number): void {
  if (type < 1 || type > MAX_TYPE)
    throw new CodecError(
      'ERR_CODEC_TYPE',
      `unknown packet type ${type}: expected 1 to ${MAX_TYPE}`,
    );
}

function u16(bytes: Uint8Array, at: number): number {
  return ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
}

function u32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) * 0x1000000 +
    (((bytes[at + 1] as number) << 16) |
      ((bytes[at + 2] as number) << 8) |
      (bytes[at + 3] as number))
  );
}

const DOT = 0x2e;

function isOctet(value: number): boolean {
  return value >= 0 && value <= 255;
}

/**
 * Parses header after header into itself: one object for a whole stream, not one per frame. Its
 * `source` stays the same object while the frames' source does (the frames of a connection mostly
 * come from one node), so frames share it; it is frozen for that reason.
 */
export class HeaderReader implements Header {
  framing: Framing = 'binary';
  type = 0;
  length = 0;
  source: Address = NO_SOURCE;
  /** The source's octets as one number, and its port: what `source` was made from. */
  #ip = -1;
  #port = -1;

  /** Parses the complete header of `framing` at `at` (the caller made sure it is all there). */
  read(framing: Framing, bytes: Uint8Array, at: number): void {
    if (framing === 'binary') this.#readBinary(bytes, at);
    else this.#readText(bytes, at);
  }

  #readBinary(bytes: Uint8Array, at: number): void {
    const version = u16(bytes, at);
    if (version !== 1)
      throw new CodecError(
        'ERR_CODEC_VERSION',
        `unsupported version ${version}: only version 1 exists`,
      );
    const type = u16(bytes, at + 2);
    checkType(type);
    const length = u32(bytes, at + 4);
    const a = u16(bytes, at + 8);
    const b = u16(bytes, at + 10);
    const c = u16(bytes, at + 12);
    const d = u16(bytes, at + 14);
    if (a > 255 || b > 255 || c > 255 || d > 255) {
      throw new CodecError(
        'ERR_CODEC_ADDRESS',
        `source IP ${a}.${b}.${c}.${d} has an octet above 255`,
      );
    }
    const port = u32(bytes, at + 16);
    if (port > 65535)
      throw new CodecError('ERR_CODEC_ADDRESS', `source port ${port} is above 65535`);
    this.framing = 'binary';
    this.type = type;
    this.length = length;
    this.#setSource(a, b, c, d, port);
  }

  #readText(bytes: Uint8Array, at: number): void {
    if (bytes[at] !== 0x31)
      throw new CodecError('ERR_CODEC_VERSION', 'unsupported text version: only version 1 exists');
    const type = readDigits(bytes, at + 1, 2);
    if (type < 0)
      throw new CodecError('ERR_CODEC_TYPE', 'text type field must be two decimal digits');
    checkType(type);
    const length = readDigits(bytes, at + 3, 5);
    if (length < 0)
      throw new CodecError('ERR_CODEC_LENGTH', 'text length field must be five decimal digits');
    const a = readDigits(bytes, at + 8, 3);
    const b = readDigits(bytes, at + 12, 3);
    const c = readDigits(bytes, at + 16, 3);
    const d = readDigits(bytes, at + 20, 3);
    if (
      bytes[at + 11] !== DOT ||
      bytes[at + 15] !== DOT ||
      bytes[at + 19] !== DOT ||
      !isOctet(a) ||
      !isOctet(b) ||
      !isOctet(c) ||
      !isOctet(d)
    )
      throw new CodecError(
        'ERR_CODEC_ADDRESS',
        'source IP must be four 3-digit octets 000-255 joined by "."',
      );
    const port = readDigits(bytes, at + 23, 5);
    if (port < 0 || port > 65535)
      throw new CodecError('ERR_CODEC_ADDRESS', 'source port must be five digits, at most 65535');
    this.framing = 'text';
    this.type = type;
    this.length = length;
    this.#setSource(a, b, c, d, port);
  }

  #setSource(a: number, b: number, c: number, d: number, port: number): void {
    const ip = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
    if (ip === this.#ip && port === this.#port) return;
    this.#ip = ip;
    this.#port = port;
    this.source = Object.freeze({ host: hostOf(a, b, c, d), port });
  }
}

/** Parses one complete header of `framing` at `at` (the caller made sure it is all there). */
export function parseHeader(framing: Framing, bytes: Uint8Array, at: number): Header {
  const reader = new HeaderReader();
  reader.read(framing, bytes, at);
  return reader;
}

/** Writes a header for a body of `length` bytes at the start of `frame`, every byte of it. */
export function writeHeader(
  frame: Uint8Array,
  framing: Framing,
  type: number,
  length: number,
  source: Address,
): void {
  const octets = octetsOfAddress(source);
  if (framing === 'binary') {
    // Every byte is written, the high bytes too: the frame may come from an unzeroed pool.
    frame[0] = 0;
    frame[1] = 1;
    frame[2] = 0;
    frame[3] = type;
    frame[4] = length >>> 24;
    frame[5] = (length >>> 16) & 0xff;
    frame[6] = (length >>> 8) & 0xff;
    frame[7] = length & 0xff;
    for (let i = 0; i < 4; i++) {
      frame[8 + 2 * i] = 0;
      frame[9 + 2 * i] = octets[i] as number;
    }
    frame[16] = 0;
    frame[17] = 0;
    frame[18] = source.port >>> 8;
    frame[19] = source.port & 0xff;
    return;
  }
  if (length > TEXT_MAX_BODY_LENGTH) {
    throw new CodecError(
      'ERR_CODEC_BODY_TOO_LARGE',
      `a text-framed body holds at most ${TEXT_MAX_BODY_LENGTH} bytes, this one has ${length}`,
    );
  }
  frame[0] = 0x31;
  writeDigits(frame, 1, type, 2);
  writeDigits(frame, 3, length, 5);
  for (let i = 0; i < 4; i++) {
    writeDigits(frame, 8 + 4 * i, octets[i] as number, 3);
    if (i < 3) frame[11 + 4 * i] = 0x2e;
  }
  writeDigits(frame, 23, source.port, 5);
}
