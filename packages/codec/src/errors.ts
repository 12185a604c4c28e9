/**
 * Every code a {@link CodecError} can carry. The codes are stable: tools match on them.
 */
export type CodecErrorCode =
  | 'ERR_CODEC_TRUNCATED'
  | 'ERR_CODEC_TRAILING_BYTES'
  | 'ERR_CODEC_UNKNOWN_FRAMING'
  | 'ERR_CODEC_VERSION'
  | 'ERR_CODEC_TYPE'
  | 'ERR_CODEC_LENGTH'
  | 'ERR_CODEC_BODY_TOO_LARGE'
  | 'ERR_CODEC_ADDRESS'
  | 'ERR_CODEC_UTF8'
  | 'ERR_CODEC_BODY'
  | 'ERR_CODEC_INVALID_PACKET'
  | 'ERR_CODEC_INVALID_ARGUMENT';

export interface CodecErrorOptions {
  /** Byte offset, in everything given to the decoder, of the first byte of the frame at fault. */
  offset?: number;
  /** Packets decoded from the same chunk before the malformed frame (FrameDecoder only). */
  frames?: ReadonlyArray<import('./frame.js').Frame>;
}

/** The only error the codec throws: malformed input on decode, an invalid packet on encode. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  readonly code: CodecErrorCode;
  readonly offset: number | undefined;
  /** Whole frames that preceded the fault in the same `push`; they are valid and should be handled. */
  readonly frames: ReadonlyArray<import('./frame.js').Frame>;

  constructor(code: CodecErrorCode, message: string, options: CodecErrorOptions = {}) {
    super(message);
    this.code = code;
    this.offset = options.offset;
    this.frames = options.frames ?? [];
  }

  /** A copy of this error placed at `offset` in a larger stream, carrying `frames`. */
  at(offset: number, frames: ReadonlyArray<import('./frame.js').Frame> = []): CodecError {
    return new CodecError(this.code, this.message, { offset, frames });
  }
}
