import type net from 'node:net';
import { type Frame, FrameDecoder, type Packet } from '@p2p/codec';
import { AckReader } from './ack-reader.js';
import type { Clock, TimerHandle } from './clock.js';
import { notAnAck, socketFailure } from './connection-failures.js';
import { decodeChunk } from './decode-chunk.js';
import { dial } from './dial.js';
import { StreamError, type StreamErrorCode } from './errors.js';
import { LingeringSocket } from './lingering-socket.js';
import type { ResolvedOptions } from './options.js';
import type { Remote } from './remote-address.js';

/**
 * How a probe ended (docs/protocol.md 10.1.2): the remote acknowledged the frame alone
 * (`acknowledged`), wrote one frame and then the `ACK` (`answered`, with that frame's packet, of
 * whatever kind: the caller judges it), or did neither (`refused`: refused, reset, closed, no
 * `ACK` within `ackTimeout`, something that is neither a frame nor `ACK`, or the node closed).
 */
export type ProbeResult =
  | { outcome: 'acknowledged' }
  | { outcome: 'answered'; packet: Packet }
  | { outcome: 'refused'; error: StreamError };

const A = 0x41;

/**
 * One throw-away connection that carries one frame and reads what comes back: an answer frame
 * then `ACK`, or `ACK` alone. It never reports `'unreachable'` and never touches the node's kept
 * connection to that remote, so a remote that closes it on an unknown type costs nothing. The
 * connection is ended by this side with a FIN once the outcome is known; a connection already
 * broken is destroyed.
 *
 * After `ACK` alone (a version-1 node, such as the reference), and after an ACK timeout (the
 * probe is refused at once), the socket goes to a {@link LingeringSocket}: a close right behind
 * the `ACK`, or together with the offer not read yet, kills a reference node that is only slow
 * (docs/interop.md).
 */
export class Probe {
  readonly remote: Remote;
  /** Settles once, with the outcome; never rejects. */
  readonly result: Promise<ProbeResult>;
  readonly #socket: net.Socket;
  readonly #closed: Promise<void>;
  readonly #clock: Clock;
  readonly #options: ResolvedOptions;
  readonly #frame: Uint8Array;
  readonly #decoder: FrameDecoder;
  readonly #acks = new AckReader();
  #resolve: (result: ProbeResult) => void = () => {};
  #done = false;
  #connected = false;
  #timer: TimerHandle | undefined;
  /** Bytes given to the decoder before the current chunk (stream offsets of its errors). */
  #decoded = 0;
  /** The frame read before the ACK, once whole. */
  #answer: Frame | undefined;
  /** True once only `ACK` may follow (an answer was read, or the first byte was `A`). */
  #readingAck = false;
  /** Once the outcome is known, the socket waiting to be closed safely. */
  #lingering: LingeringSocket | undefined;

  constructor(remote: Remote, frame: Uint8Array, options: ResolvedOptions) {
    this.remote = remote;
    this.#options = options;
    this.#clock = options.clock;
    this.#frame = frame;
    this.#decoder = new FrameDecoder({ maxBodySize: options.maxBodySize });
    this.result = new Promise((resolve) => {
      this.#resolve = resolve;
    });
    const { socket, closed } = dial(remote, {
      connect: this.#onConnect,
      data: this.#onData,
      end: this.#onEnd,
      error: this.#onError,
      close: this.#onEnd,
    });
    this.#socket = socket;
    this.#closed = closed;
    this.#timer = this.#clock.setTimeout(
      () =>
        this.#refuse(
          'ERR_STREAM_CONNECT_TIMEOUT',
          `could not connect to ${remote.key} within ${options.connectTimeout} ms`,
          true,
        ),
      options.connectTimeout,
    );
  }

  /** Resolves once the socket is closed. */
  whenClosed(): Promise<void> {
    return this.#closed;
  }

  /**
   * Ends the probe at once (the node is closing): `refused`, ERR_STREAM_NODE_CLOSED; a connection
   * waiting to end (after an `ACK` alone, or after an ACK timeout) is destroyed now.
   */
  abort(): void {
    if (this.#done) {
      this.#lingering?.release();
      return;
    }
    this.#refuse(
      'ERR_STREAM_NODE_CLOSED',
      `this node was closed while probing ${this.remote.key}`,
      false,
    );
  }

  /**
   * `owed`: the ACKs the remote still owes when the socket must linger (1 after an ACK timeout,
   * 0 after an `ACK` alone); undefined: it is ended in order at once.
   */
  #finish(result: ProbeResult, orderly: boolean, owed?: number): void {
    if (this.#done) return;
    this.#done = true;
    this.#stopTimer();
    if (!orderly) this.#socket.destroy();
    else if (owed !== undefined)
      this.#lingering = new LingeringSocket(this.#socket, this.#options, owed, this.#acks);
    else this.#end();
    this.#resolve(result);
  }

  /** An orderly close: our FIN once the frame has left, then the handle goes. */
  #end(): void {
    const socket = this.#socket;
    socket.end(() => socket.destroy());
  }

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #refuse(code: StreamErrorCode, message: string, orderly: boolean, cause?: unknown): void {
    const error = new StreamError(code, message, { remote: this.remote.key, cause });
    this.#finish({ outcome: 'refused', error }, orderly && this.#connected);
  }

  #fail(error: StreamError): void {
    this.#finish({ outcome: 'refused', error }, false);
  }

  readonly #onConnect = (): void => {
    if (this.#done) return;
    this.#connected = true;
    this.#stopTimer();
    this.#socket.write(this.#frame);
    const { ackTimeout } = this.#options;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      const error = new StreamError(
        'ERR_STREAM_ACK_TIMEOUT',
        `${this.remote.key} did not acknowledge the probe within ${ackTimeout} ms`,
        { remote: this.remote.key },
      );
      this.#finish({ outcome: 'refused', error }, true, 1);
    }, ackTimeout);
  };

  readonly #onData = (chunk: Buffer): void => {
    if (this.#done) {
      this.#lingering?.read(chunk);
      return;
    }
    let rest: Uint8Array = chunk;
    if (!this.#readingAck) {
      if (this.#decoded === 0 && chunk[0] === A) {
        this.#readingAck = true;
      } else {
        rest = this.#readAnswer(chunk);
        if (this.#done || !this.#readingAck) return;
      }
    }
    const count = this.#acks.push(rest);
    if (count < 0) {
      this.#fail(notAnAck(rest, this.#acks.badOffset, this.remote.key));
      return;
    }
    if (count === 0) return;
    const answer = this.#answer;
    if (answer === undefined) this.#finish({ outcome: 'acknowledged' }, true, 0);
    else this.#finish({ outcome: 'answered', packet: answer.packet }, true);
  };

  /** Feeds the answer frame's bytes; returns what follows it in `chunk` (its ACK). */
  #readAnswer(chunk: Buffer): Uint8Array {
    const { frames, failure } = decodeChunk(this.#decoder, chunk);
    const before = this.#decoded;
    this.#decoded += chunk.length;
    if (frames.length > 1 || (frames.length === 0 && failure !== undefined)) {
      const what = frames.length > 1 ? 'more than one frame' : 'a malformed frame';
      this.#fail(
        new StreamError(
          'ERR_STREAM_PROTOCOL',
          `${this.remote.key} answered the probe with ${what}`,
          {
            remote: this.remote.key,
            cause: failure,
          },
        ),
      );
      return chunk.subarray(chunk.length);
    }
    if (frames.length === 0) return chunk.subarray(chunk.length);
    this.#answer = frames[0];
    this.#readingAck = true;
    // The decoder stopped at the first byte that starts no frame: where the ACK begins.
    return failure === undefined
      ? chunk.subarray(chunk.length)
      : chunk.subarray((failure.offset ?? 0) - before);
  }

  readonly #onEnd = (): void => {
    // Waiting to end: the remote ended first, nothing is left to wait for.
    if (this.#done) {
      this.#lingering?.release();
      return;
    }
    this.#fail(
      new StreamError('ERR_STREAM_CLOSED', `${this.remote.key} closed the probe connection`, {
        remote: this.remote.key,
      }),
    );
  };

  readonly #onError = (error: NodeJS.ErrnoException): void => {
    if (this.#done) return;
    this.#fail(socketFailure(error, !this.#connected, this.remote.key));
  };
}
