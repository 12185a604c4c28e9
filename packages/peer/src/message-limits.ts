import { BINARY_HEADER_LENGTH, DEFAULT_MAX_BODY_SIZE, type Framing } from '@p2p/codec';
import { PeerError } from './errors.js';

/**
 * The reference implementation reads each packet with one `recv(2048)` and dies on a larger one
 * (its main loop raises and never recovers). A node that may be one of them is sent frames of at
 * most this many bytes.
 */
export const LOCK_STEP_MAX_FRAME = 2_048;

/** The largest Message text, in UTF-8 bytes, that fits a binary frame a lock-step node takes: 2,028. */
export const LOCK_STEP_MAX_MESSAGE_BYTES = LOCK_STEP_MAX_FRAME - BINARY_HEADER_LENGTH;

/** The largest Message text, in bytes, our own nodes take by default (their `maxBodySize`). */
export const LENGTH_PARSING_MAX_MESSAGE_BYTES = DEFAULT_MAX_BODY_SIZE;

/**
 * How large a Message each neighbour is sent. With a window of 1 (lock-step, the default) a
 * neighbour we speak binary to may be an older node that reads one packet per `recv(2048)`, so it
 * gets at most {@link LOCK_STEP_MAX_MESSAGE_BYTES}; a text-framed neighbour, or any neighbour once
 * the node runs a window (a network where every node parses frames by their length), gets what
 * our nodes accept by default. `maxMessageBytes`, when set, is the limit for every neighbour and
 * for the node's own broadcasts.
 */
export class MessageLimits {
  /** The largest text, in UTF-8 bytes, this node originates. */
  readonly maxMessageBytes: number;
  readonly #explicit: number | undefined;
  readonly #lockStep: boolean;
  /** Texts of at most this many UTF-16 units fit every limit (a unit is at most 3 UTF-8 bytes). */
  readonly #alwaysFits: number;

  constructor(options: { window?: number | undefined; maxMessageBytes?: number | undefined }) {
    const { maxMessageBytes } = options;
    if (
      maxMessageBytes !== undefined &&
      (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 0)
    ) {
      throw new PeerError(
        'ERR_INVALID_OPTIONS',
        `maxMessageBytes must be a whole number of bytes, got ${String(maxMessageBytes)}`,
      );
    }
    this.#explicit = maxMessageBytes;
    this.#lockStep = (options.window ?? 1) === 1;
    this.maxMessageBytes =
      maxMessageBytes ??
      (this.#lockStep ? LOCK_STEP_MAX_MESSAGE_BYTES : LENGTH_PARSING_MAX_MESSAGE_BYTES);
    this.#alwaysFits = Math.floor(Math.min(this.maxMessageBytes, this.limitFor('binary')) / 3);
  }

  /** The largest text, in bytes, a neighbour spoken to in `framing` is sent. */
  limitFor(framing: Framing): number {
    if (this.#explicit !== undefined) return this.#explicit;
    return this.#lockStep && framing === 'binary'
      ? LOCK_STEP_MAX_MESSAGE_BYTES
      : LENGTH_PARSING_MAX_MESSAGE_BYTES;
  }

  /**
   * The text's size in UTF-8 bytes when it may exceed some neighbour's limit, else 0 (cheap: most
   * Messages are short, and a forward must not measure each one).
   */
  sizeIfLarge(text: string): number {
    return text.length <= this.#alwaysFits ? 0 : Buffer.byteLength(text, 'utf8');
  }
}
