import {
  BINARY_HEADER_LENGTH,
  DEFAULT_MAX_BODY_SIZE,
  type Framing,
  TEXT_HEADER_LENGTH,
} from '@p2p/codec';
import { PeerError } from '../errors.js';

/**
 * The reference implementation reads each packet with one `recv(2048)` and dies on a larger one
 * (its main loop raises and never recovers); other older nodes, in either framing, may read the
 * same way. In lock-step every neighbour is sent frames of at most this many bytes.
 */
export const LOCK_STEP_MAX_FRAME = 2_048;

/**
 * The largest Message text, in UTF-8 bytes, a node originates in lock-step: 2,020, what fits a
 * 2,048-byte frame in either framing (2,028 in the binary framing, 2,020 in the text framing).
 */
export const LOCK_STEP_MAX_MESSAGE_BYTES = LOCK_STEP_MAX_FRAME - TEXT_HEADER_LENGTH;

/** The largest Message text, in bytes, our own nodes take by default (their `maxBodySize`). */
export const LENGTH_PARSING_MAX_MESSAGE_BYTES = DEFAULT_MAX_BODY_SIZE;

const HEADER_LENGTH: Record<Framing, number> = {
  binary: BINARY_HEADER_LENGTH,
  text: TEXT_HEADER_LENGTH,
};

/**
 * How large a Message each neighbour is sent. With a window of 1 (lock-step, the default) any
 * neighbour may be an older node that reads one packet per `recv(2048)`, so each gets frames of at
 * most {@link LOCK_STEP_MAX_FRAME} bytes in its framing; once the node runs a window (a network
 * where every node parses frames by their length) every neighbour gets what our nodes accept by
 * default. `maxMessageBytes`, when set, is the limit for every neighbour and for the node's own
 * broadcasts.
 */
export class MessageLimits {
  /** The largest text, in UTF-8 bytes, this node originates: it fits every neighbour. */
  readonly maxMessageBytes: number;
  readonly #explicit: number | undefined;
  readonly #lockStep: boolean;

  constructor(options: { window?: number | undefined; maxMessageBytes?: number | undefined }) {
    const { maxMessageBytes } = options;
    if (
      maxMessageBytes !== undefined &&
      (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 0)
    ) {
      throw new PeerError(
        'ERR_PEER_INVALID_OPTIONS',
        `maxMessageBytes must be a whole number of bytes, got ${String(maxMessageBytes)}`,
      );
    }
    this.#explicit = maxMessageBytes;
    this.#lockStep = (options.window ?? 1) === 1;
    this.maxMessageBytes = Math.min(this.limitFor('binary'), this.limitFor('text'));
  }

  /** The largest text, in bytes, a neighbour spoken to in `framing` is sent. */
  limitFor(framing: Framing): number {
    if (this.#explicit !== undefined) return this.#explicit;
    return this.#lockStep
      ? LOCK_STEP_MAX_FRAME - HEADER_LENGTH[framing]
      : LENGTH_PARSING_MAX_MESSAGE_BYTES;
  }
}
