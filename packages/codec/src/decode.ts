import { decodeBody } from './body.js';
import { CodecError } from './errors.js';
import { type Frame, frameAt } from './frame.js';
import { framingOf, type Header, headerLength, parseHeader } from './header.js';
import type { DecodedFrame } from './packet.js';

/** Checks a parsed header against the body size limit, before any body byte is buffered. */
export function checkBodyLength(header: Header, maxBodySize: number): void {
  if (header.length > maxBodySize) {
    throw new CodecError(
      'ERR_CODEC_BODY_TOO_LARGE',
      `frame announces a ${header.length}-byte body; the limit is ${maxBodySize} bytes`,
    );
  }
}

export interface DecodeOptions {
  /** Largest body accepted, in bytes (default: no limit beyond the framing's own). */
  maxBodySize?: number;
}

/** Decodes exactly one whole frame. Anything else (short, trailing bytes, malformed) is a CodecError. */
export function decode(bytes: Uint8Array, options: DecodeOptions = {}): DecodedFrame {
  const header = wholeFrame(bytes, options);
  const start = headerLength(header.framing);
  try {
    // The text is wanted at once: decoded and checked in one pass, no view built.
    const packet = decodeBody(header.type, bytes, start, start + header.length, header.source);
    return { packet, framing: header.framing };
  } catch (error) {
    throw (error as CodecError).at(0);
  }
}

/**
 * Like {@link decode}, but returns the {@link Frame} view: the body is checked, kept as a view
 * into `bytes`, and a Message's text is decoded only when read.
 */
export function decodeFrame(bytes: Uint8Array, options: DecodeOptions = {}): Frame {
  const header = wholeFrame(bytes, options);
  try {
    return frameAt(header, bytes, headerLength(header.framing));
  } catch (error) {
    throw (error as CodecError).at(0);
  }
}

/** Checks that `bytes` holds exactly one frame and returns its header. */
function wholeFrame(bytes: Uint8Array, options: DecodeOptions): Header {
  try {
    if (!(bytes instanceof Uint8Array))
      throw new CodecError('ERR_CODEC_INVALID_ARGUMENT', 'decode expects a Uint8Array');
    if (bytes.length === 0)
      throw new CodecError('ERR_CODEC_TRUNCATED', 'no bytes: a frame needs at least a header');
    const framing = framingOf(bytes[0] as number);
    const start = headerLength(framing);
    if (bytes.length < start) {
      throw new CodecError(
        'ERR_CODEC_TRUNCATED',
        `${bytes.length} bytes is shorter than the ${start}-byte ${framing} header`,
      );
    }
    const header = parseHeader(framing, bytes, 0);
    checkBodyLength(header, options.maxBodySize ?? Number.POSITIVE_INFINITY);
    const end = start + header.length;
    if (bytes.length < end) {
      throw new CodecError(
        'ERR_CODEC_TRUNCATED',
        `header announces ${header.length} body bytes but only ${bytes.length - start} follow`,
      );
    }
    if (bytes.length > end) {
      throw new CodecError(
        'ERR_CODEC_TRAILING_BYTES',
        `${bytes.length - end} bytes follow the frame; decode takes exactly one frame`,
      );
    }
    return header;
  } catch (error) {
    throw error instanceof CodecError
      ? error.at(0)
      : new CodecError('ERR_CODEC_INVALID_PACKET', String(error), { offset: 0 });
  }
}
