import { checkBodyLength } from './decode.js';
import { CodecError } from './errors.js';
import { type Frame, frameAt } from './frame.js';
import { framingOf, HeaderReader, headerLength, TEXT_HEADER_LENGTH } from './header.js';

/** Default largest body a FrameDecoder accepts: 64 KiB. */
export const DEFAULT_MAX_BODY_SIZE = 65_536;

export interface FrameDecoderOptions {
  /** Largest body accepted, in bytes; a header announcing more is rejected before any body byte is kept. */
  maxBodySize?: number;
}

/**
 * Turns a byte stream, in chunks of any size, into {@link Frame} views (each also has the
 * `{ packet, framing }` of {@link decode}: `packet` is built when first read). Each frame's framing is detected from
 * its first byte. Malformed input throws a CodecError whose `offset` is the stream position of the
 * bad frame and whose `frames` holds the good frames of the same chunk that came before it; after
 * that the decoder stays failed, since a byte stream cannot be resynchronised.
 */
export class FrameDecoder {
  readonly maxBodySize: number;
  /** Bytes of an unfinished header. */
  #head = new Uint8Array(TEXT_HEADER_LENGTH);
  #headFill = 0;
  /** The unfinished frame once its header is known: header plus room for the whole body. */
  #frame: Uint8Array | undefined;
  #frameFill = 0;
  /** Every header is parsed into this one; it holds the unfinished frame's while `#frame` is set. */
  readonly #header = new HeaderReader();
  /** Stream offset of the first byte of the frame being assembled. */
  #frameStart = 0;
  /** Bytes consumed before the current chunk. */
  #consumed = 0;
  #failure: CodecError | undefined;

  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
    if (!(max >= 0))
      throw new CodecError(
        'ERR_CODEC_INVALID_ARGUMENT',
        `maxBodySize must be a number >= 0, got ${String(max)}`,
      );
    this.maxBodySize = max;
  }

  /** Bytes held for a frame not yet complete. */
  get buffered(): number {
    return this.#frame === undefined ? this.#headFill : this.#frameFill;
  }

  /** Feeds a chunk; returns every frame it completes, in order. */
  push(chunk: Uint8Array): Frame[] {
    if (this.#failure !== undefined) throw this.#failure;
    const frames: Frame[] = [];
    let at = 0;
    try {
      while (at < chunk.length) {
        if (this.#headFill === 0 && this.#frame === undefined) {
          this.#frameStart = this.#consumed + at;
          const next = this.#wholeFrameAt(chunk, at, frames);
          if (next >= 0) {
            at = next;
            continue;
          }
        }
        at = this.#fill(chunk, at, frames);
      }
    } catch (error) {
      const failure =
        error instanceof CodecError
          ? error.at(this.#frameStart, frames)
          : new CodecError('ERR_CODEC_INVALID_PACKET', String(error));
      this.#failure = failure;
      throw failure;
    }
    this.#consumed += chunk.length;
    return frames;
  }

  /**
   * Declares the end of the stream: throws ERR_CODEC_TRUNCATED when a frame was left unfinished.
   */
  end(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.buffered > 0) {
      this.#failure = new CodecError(
        'ERR_CODEC_TRUNCATED',
        `stream ended inside a frame (${this.buffered} bytes of it received)`,
        {
          offset: this.#frameStart,
        },
      );
      throw this.#failure;
    }
  }

  /** Fast path: a whole frame lies in `chunk` at `at`. Returns the next offset, or -1 to assemble it. */
  #wholeFrameAt(chunk: Uint8Array, at: number, frames: Frame[]): number {
    const framing = framingOf(chunk[at] as number);
    const start = at + headerLength(framing);
    if (start > chunk.length) return -1;
    const header = this.#header;
    header.read(framing, chunk, at);
    checkBodyLength(header, this.maxBodySize);
    const end = start + header.length;
    if (end > chunk.length) return -1;
    frames.push(frameAt(header, chunk, start));
    return end;
  }

  /** Slow path: copies what `chunk` holds of the current frame; returns the next offset. */
  #fill(chunk: Uint8Array, at: number, frames: Frame[]): number {
    if (this.#frame === undefined) {
      const framing = framingOf(
        this.#headFill > 0 ? (this.#head[0] as number) : (chunk[at] as number),
      );
      const need = headerLength(framing) - this.#headFill;
      const take = Math.min(need, chunk.length - at);
      this.#head.set(chunk.subarray(at, at + take), this.#headFill);
      this.#headFill += take;
      at += take;
      if (take < need) return at;
      const header = this.#header;
      header.read(framing, this.#head, 0);
      checkBodyLength(header, this.maxBodySize);
      this.#frame = new Uint8Array(this.#headFill + header.length);
      this.#frame.set(this.#head.subarray(0, this.#headFill));
      this.#frameFill = this.#headFill;
      this.#headFill = 0;
    }
    const frame = this.#frame as Uint8Array;
    const take = Math.min(frame.length - this.#frameFill, chunk.length - at);
    frame.set(chunk.subarray(at, at + take), this.#frameFill);
    this.#frameFill += take;
    at += take;
    if (this.#frameFill === frame.length) {
      this.#frame = undefined;
      this.#frameFill = 0;
      frames.push(frameAt(this.#header, frame, frame.length - this.#header.length));
      this.#frameStart = this.#consumed + at;
    }
    return at;
  }
}
