import type { CodecError, Frame, FrameDecoder } from '@p2p/codec';

/** What one chunk gave: the whole frames, and the fault that stopped the decoder, if any. */
export interface DecodedChunk {
  frames: readonly Frame[];
  failure: CodecError | undefined;
}

/**
 * Pushes `chunk` into `decoder`. A malformed frame does not lose the good frames before it in the
 * same chunk: they come with the fault (FrameDecoder throws nothing but CodecErrors).
 */
export function decodeChunk(decoder: FrameDecoder, chunk: Uint8Array): DecodedChunk {
  try {
    return { frames: decoder.push(chunk), failure: undefined };
  } catch (error) {
    const failure = error as CodecError;
    return { frames: failure.frames, failure };
  }
}
