import type net from 'node:net';
import {
  type Address,
  CodecError,
  type Frame,
  FrameDecoder,
  type Framing,
  formatAddress,
  type OutgoingFrame,
} from '@p2p/codec';
import { ACK } from './ack-reader.js';
import type { Clock, TimerHandle } from './clock.js';
import { decodeChunk } from './decode-chunk.js';
import { InboundPacket, type MalformedEvent, type SocketPeer } from './events.js';
import type { FramingMemory } from './framing-memory.js';
import type { ResolvedOptions } from './options.js';

/** What an inbound connection reports to its node. */
export interface InboundHandlers {
  packet(event: InboundPacket): void;
  malformed(event: MalformedEvent): void;
  closed(connection: InboundConnection): void;
  /**
   * The Capabilities answer to write before the ACK of `offer`, the frame that opens a connection
   * from `remote`, if any: the node may decline one offer (its source-IP check would refuse it).
   */
  offerAnswer(offer: Frame, remote: SocketPeer): OutgoingFrame | undefined;
}

/** ACKs for up to this many frames of one read go out as one write of a shared buffer. */
const ACK_BATCH = 256;
const ACKS = Buffer.from('ACK'.repeat(ACK_BATCH), 'latin1');

/**
 * One accepted connection: frames are decoded from the byte stream whatever the read boundaries,
 * each is acknowledged with `ACK` (the only thing ever written back) and reported. A malformed
 * frame closes the connection, since a byte stream cannot be resynchronised. One lazily re-armed
 * timer enforces `frameTimeout`: a frame that has started must complete in time (slowloris).
 *
 * An accepted connection is never closed for being idle or for not having sent its first packet
 * (protocol.md section 4): older nodes connect to the root when they start, long before their
 * user types `Register`, keep that connection idle for as long as they live and never reconnect.
 * Silent connections are dealt with only at the connection limit (see StreamNode).
 */
export class InboundConnection {
  /** The TCP peer (an ephemeral port of the remote, not its server address). */
  readonly remote: SocketPeer;
  /** This side of the socket: the address the remote dialled (a concrete one, also under 0.0.0.0). */
  readonly local: SocketPeer;
  readonly #key: string;
  readonly #socket: net.Socket;
  readonly #options: ResolvedOptions;
  readonly #framing: FramingMemory;
  readonly #handlers: InboundHandlers;
  readonly #decoder: FrameDecoder;
  readonly #closed: Promise<void>;
  #destroyed = false;
  #paused = false;
  #proven = false;
  #probe = false;
  /** When the partial frame now buffered began; -1 when none is. */
  #partialSince = -1;
  readonly #clock: Clock;
  #timer: TimerHandle | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  /**
   * The last source seen and its framing, so the framing memory is touched only on a change. The
   * decoder hands out one source object while the source stays the same: compared as an object.
   */
  #lastSource: Address | undefined;
  #lastFraming: Framing | undefined;
  #lastFrom = '';

  constructor(
    socket: net.Socket,
    options: ResolvedOptions,
    framing: FramingMemory,
    handlers: InboundHandlers,
  ) {
    this.#socket = socket;
    this.#options = options;
    this.#clock = options.clock;
    this.#framing = framing;
    this.#handlers = handlers;
    this.#decoder = new FrameDecoder({ maxBodySize: options.maxBodySize });
    this.remote = Object.freeze({
      host: socket.remoteAddress ?? 'unknown',
      port: socket.remotePort ?? 0,
    });
    this.local = Object.freeze({
      host: (socket.localAddress ?? 'unknown').replace(/^::ffff:/, ''),
      port: socket.localPort ?? 0,
    });
    this.#key = formatAddress(this.remote);
    this.#closed = new Promise((resolve) => socket.once('close', () => resolve()));
    // ACKs must leave at once: the sender may be waiting for one before it writes again.
    socket.setNoDelay(true);
    socket.on('data', this.#onData);
    socket.on('end', this.#onEnd);
    socket.on('error', this.#onError);
    socket.on('drain', this.#onDrain);
    socket.on('close', this.#onClose);
    this.openedAt = this.#clock.now();
    this.#lastFrameAt = this.openedAt;
  }

  /** When the connection was accepted (on the node's clock). */
  readonly openedAt: number;
  #lastFrameAt: number;

  /** When the connection last delivered a whole frame, or was accepted (on the node's clock). */
  get lastFrameAt(): number {
    return this.#lastFrameAt;
  }

  /** True once the connection has delivered a whole frame: it speaks the protocol (not silent). */
  get proven(): boolean {
    return this.#proven;
  }

  /**
   * Whether its first frame was a Capabilities offer: a probe's connection (10.1.2), which carries
   * nothing else; a prober may keep it open a while after the `ACK` before it ends it.
   */
  get probe(): boolean {
    return this.#probe;
  }

  /** Closes the connection at once. */
  destroy(): void {
    if (this.#destroyed) return;
    this.#destroyed = true;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#socket.destroy();
  }

  /** Resolves once the socket is closed. */
  whenClosed(): Promise<void> {
    return this.#closed;
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#destroyed) return;
    const { frames, failure } = decodeChunk(this.#decoder, chunk);
    if (frames.length > 0) {
      let answer: Uint8Array | undefined;
      if (!this.#proven) {
        const first = frames[0] as Frame;
        this.#probe = first.kind === 'capabilities-offer';
        if (this.#probe) answer = this.#answerFor(first);
      }
      this.#proven = true;
      this.#lastFrameAt = this.#clock.now();
      this.#acknowledge(frames.length, answer);
    }
    if (failure === undefined) this.#trackPartialFrame(frames.length > 0);
    for (const frame of frames) {
      if (this.#destroyed) return;
      const { source, framing } = frame;
      if (source !== this.#lastSource || framing !== this.#lastFraming) {
        this.#lastSource = source;
        this.#lastFraming = framing;
        this.#lastFrom = formatAddress(source);
        this.#framing.remember(this.#lastFrom, framing);
      }
      this.#handlers.packet(new InboundPacket(frame, this.remote, this.local, this.#lastFrom));
    }
    if (failure !== undefined && !this.#destroyed) this.#malformed(failure);
  };

  /**
   * The answer to write back to `offer`, the connection's first frame, when this node answers
   * offers (docs/protocol.md 10.1.2): the one exception to "nothing but ACK", in the offer's
   * framing. Only a probe connection opens with an offer.
   */
  #answerFor(offer: Frame): Uint8Array | undefined {
    try {
      return this.#handlers.offerAnswer(offer, this.remote)?.bytes(offer.framing);
    } catch (error) {
      this.#options.logger.warn(
        { remote: this.#key, reason: error instanceof Error ? error.message : String(error) },
        'cannot write the capabilities answer; acknowledging the offer only',
      );
      return undefined;
    }
  }

  #acknowledge(count: number, answer?: Uint8Array): void {
    const socket = this.#socket;
    if (answer !== undefined) {
      // The answer and the ACKs leave in one write: the prober reads them in this order.
      socket.write(Buffer.concat([answer, ACKS.subarray(0, 3 * Math.min(count, ACK_BATCH))]));
      count -= Math.min(count, ACK_BATCH);
    }
    // With an answer, count may be 0 here: the loop below then writes nothing.
    if (count === 1) {
      socket.write(ACK);
    } else {
      for (let left = count; left > 0; left -= ACK_BATCH) {
        socket.write(ACKS.subarray(0, 3 * Math.min(left, ACK_BATCH)));
      }
    }
    // A sender that writes without reading its ACKs must not make us buffer them without end.
    if (socket.writableNeedDrain && !this.#paused) {
      this.#paused = true;
      socket.pause();
    }
  }

  /** Slowloris guard: a frame that has started must be complete within `frameTimeout`. */
  #trackPartialFrame(completedOne: boolean): void {
    if (this.#decoder.buffered === 0) {
      this.#partialSince = -1;
    } else if (completedOne || this.#partialSince < 0) {
      // A new frame began in this read.
      const time = this.#clock.now();
      this.#partialSince = time;
      this.#armTimer(time + this.#options.frameTimeout);
    }
  }

  #armTimer(due: number): void {
    if (this.#destroyed || due >= this.#timerDue) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = this.#clock.setTimeout(
      this.#onTimer,
      Math.max(1, Math.ceil(due - this.#clock.now())),
    );
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    if (this.#destroyed) return;
    // The frame that armed the timer may have completed since (no partial frame left).
    if (this.#partialSince < 0) return;
    const { frameTimeout, logger } = this.#options;
    const due = this.#partialSince + frameTimeout;
    // Timers may fire a fraction of a millisecond before the monotonic clock agrees.
    if (due - this.#clock.now() > 1) {
      this.#armTimer(due);
      return;
    }
    logger.warn(
      { remote: this.#key, frameTimeout, buffered: this.#decoder.buffered },
      'closing connection: frame not completed in time',
    );
    this.destroy();
  };

  #malformed(error: CodecError): void {
    this.#options.logger.warn(
      { remote: this.#key, code: error.code, offset: error.offset, reason: error.message },
      'closing connection: malformed frame',
    );
    this.destroy();
    this.#handlers.malformed({ remote: this.remote, error });
  }

  readonly #onEnd = (): void => {
    if (this.#destroyed) return;
    if (this.#decoder.buffered > 0) {
      try {
        this.#decoder.end();
      } catch (error) {
        if (error instanceof CodecError) {
          this.#malformed(error);
          return;
        }
      }
    }
    this.#options.logger.debug({ remote: this.#key }, 'inbound connection ended by the remote');
    this.destroy();
  };

  readonly #onError = (error: NodeJS.ErrnoException): void => {
    if (this.#destroyed) return;
    this.#options.logger.debug(
      { remote: this.#key, code: error.code, reason: error.message },
      'inbound connection failed',
    );
    this.destroy();
  };

  readonly #onDrain = (): void => {
    if (!this.#paused || this.#destroyed) return;
    this.#paused = false;
    this.#socket.resume();
  };

  readonly #onClose = (): void => {
    this.destroy();
    this.#handlers.closed(this);
  };
}
