import { CodecError, decode } from '@p2p/codec';

/** The reference reads with one `recv(2048)`: a frame longer than this kills its main loop. */
export const REFERENCE_READ_SIZE = 2048;

/** One socket read of a reference node that it cannot take, and why. */
export interface WireViolation {
  read: number;
  bytes: number;
  reason: string;
}

/**
 * Checks what a reference node read against what it can take: it takes each socket read as one
 * packet, so each read must be exactly one whole binary frame, valid for our codec (two packets in
 * one read: the second is lost; a split packet, or one over 2,048 bytes: its main loop dies).
 */
export function wireViolations(reads: readonly Buffer[]): WireViolation[] {
  const violations: WireViolation[] = [];
  reads.forEach((bytes, read) => {
    const fail = (reason: string) => violations.push({ read, bytes: bytes.length, reason });
    try {
      const { framing } = decode(bytes);
      if (framing !== 'binary') fail(`a ${framing} frame: the reference reads binary only`);
    } catch (error) {
      if (!(error instanceof CodecError)) throw error;
      // A full recv(2048) that is not one whole frame: the frame was longer than one read.
      const why =
        bytes.length === REFERENCE_READ_SIZE
          ? 'a frame over 2,048 bytes'
          : 'two packets in one write, a split packet, or garbage';
      fail(`${error.code}: ${error.message} (${why})`);
    }
  });
  return violations;
}
