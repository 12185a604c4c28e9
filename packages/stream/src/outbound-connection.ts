import type net from 'node:net';
import { AckReader } from './ack-reader.js';
import type { Clock, TimerHandle } from './clock.js';
import { notAnAck, socketFailure } from './connection-failures.js';
import { dial } from './dial.js';
import { StreamError, type StreamErrorCode } from './errors.js';
import { LingeringSocket } from './lingering-socket.js';
import type { ResolvedOptions } from './options.js';
import type { Remote } from './remote-address.js';
import { SendQueue } from './send-queue.js';
import { type Settlement, settle } from './settle.js';

/**
 * Called once when the connection is over, with the error its pending sends were rejected with;
 * `report` is false for an end this node asked for (disconnect, close, idle).
 */
export type OutboundEnded = (
  connection: OutboundConnection,
  error: StreamError,
  report: boolean,
) => void;

type State = 'connecting' | 'open' | 'ended';

/**
 * The outgoing TCP connection to one remote node, used for the life of that connection: a FIFO of
 * sends, at most `window` of them written and unacknowledged, each `ACK` read back settling the
 * oldest. When it fails every pending send is rejected and the node forgets it; the next send to
 * that remote opens a new one.
 *
 * A remote closing the connection is a failure even when nothing is pending: it is how a node that
 * stops shows. A connection with nothing sent or acknowledged for `idleTimeout` is closed by this
 * side, quietly: it costs nothing (the next send reconnects) and frees the remote's slot; older
 * implementations of this protocol closed idle connections after 120 s, so closing ours first
 * also keeps them from closing one under us.
 *
 * One timer per connection serves both deadlines, re-armed lazily: while packets are in flight it
 * is due when the oldest one's ACK is; otherwise when the connection has been idle long enough.
 * ACKs are read without a `'data'` event (see `dial`), and in lock-step the clock is read once
 * per packet, by its write.
 *
 * A lock-step connection that failed for want of an `ACK` fails its sends and is forgotten, but
 * its socket is handed to a {@link LingeringSocket}, which closes it only once that is safe for a
 * slow version-1 node. Only lock-step ones: a version-1 node is always sent to in lock-step, and
 * a connection with a window, to a node of ours, could hold megabytes unsent.
 */
export class OutboundConnection {
  readonly remote: Remote;
  readonly #options: ResolvedOptions;
  readonly #onEnded: OutboundEnded;
  readonly #socket: net.Socket;
  readonly #closed: Promise<void>;
  readonly #waiting = new SendQueue();
  /** Urgent sends wait here and leave before any in #waiting. */
  readonly #urgent = new SendQueue();
  /** Written and not acknowledged, each with when it was written (the clock's ms). */
  readonly #inFlight = new SendQueue(true);
  /** Bytes of the frames waiting and in flight. */
  #queuedBytes = 0;
  readonly #acks = new AckReader();
  #state: State = 'connecting';
  readonly #clock: Clock;
  #connectTimer: TimerHandle | undefined;
  #timer: TimerHandle | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  /** Last write or ACK (monotonic ms). */
  #lastActivity = 0;
  /** Idle time after which this side closes the connection; 0 never. */
  readonly #idleAfter: number;
  #pumpScheduled: NodeJS.Immediate | undefined;
  /** Frames written and unacknowledged at most: the node's window, or the one set for this remote. */
  #window: number;
  /** After an ACK timeout, the socket waiting to be closed safely (see the class). */
  #lingering: LingeringSocket | undefined;

  constructor(remote: Remote, options: ResolvedOptions, onEnded: OutboundEnded, window: number) {
    this.remote = remote;
    this.#options = options;
    this.#window = window;
    this.#onEnded = onEnded;
    this.#idleAfter = options.idleTimeout;
    this.#clock = options.clock;
    const { socket, closed } = dial(remote, {
      connect: this.#onConnect,
      read: this.#onRead,
      end: this.#onEnd,
      error: this.#onError,
      close: this.#onClose,
    });
    this.#socket = socket;
    this.#closed = closed;
    this.#connectTimer = this.#clock.setTimeout(this.#onConnectTimeout, options.connectTimeout);
  }

  /** Sends waiting for their turn. */
  get queued(): number {
    return this.#waiting.length + this.#urgent.length;
  }

  /** Sends written and not yet acknowledged. */
  get inFlight(): number {
    return this.#inFlight.length;
  }

  /** Frames this connection lets out unacknowledged. */
  get window(): number {
    return this.#window;
  }

  /**
   * A new window for the rest of the connection's life. A larger one lets waiting frames out at
   * once; a smaller one only holds back the next writes (frames in flight stay in flight).
   */
  set window(window: number) {
    const grew = window > this.#window;
    this.#window = window;
    if (grew) this.#pump();
  }

  /**
   * Queues an encoded frame; `settlement` learns once how it ended, when its ACK arrives or the send fails
   * (synchronously when it is refused at once: queue full, connection over).
   */
  send(frame: Uint8Array, urgent: boolean, settlement: Settlement): void {
    const pending = this.#waiting.length + this.#urgent.length + this.#inFlight.length;
    // One frame is always accepted into an empty queue, however large (the body limit bounds it).
    const overBytes = pending > 0 && this.#queuedBytes + frame.length > this.#options.maxQueueBytes;
    if (this.#state === 'ended' || pending >= this.#options.maxQueue || overBytes) {
      settle(
        settlement,
        this.#state === 'ended'
          ? this.#error('ERR_STREAM_CLOSED', `the connection to ${this.remote.key} is closed`)
          : this.#error(
              'ERR_STREAM_QUEUE_FULL',
              `${pending} packets to ${this.remote.key} are already waiting or in flight ` +
                `(${this.#queuedBytes} bytes; maxQueue ${this.#options.maxQueue}, maxQueueBytes ${this.#options.maxQueueBytes}); ` +
                'wait for earlier sends to settle or raise the limits',
            ),
      );
      return;
    }
    this.#queuedBytes += frame.length;
    (urgent ? this.#urgent : this.#waiting).push(frame, settlement);
    if (this.#state !== 'open') return;
    if (this.#window === 1) this.#pump();
    else this.#schedulePump();
  }

  /**
   * With a window, writes wait for the end of this turn of the event loop: every send and ACK of
   * the turn then leaves in one corked write per connection instead of one write per read.
   */
  #schedulePump(): void {
    if (this.#pumpScheduled !== undefined) return;
    this.#pumpScheduled = setImmediate(this.#scheduledPump);
  }

  /** Ends the connection: rejects every pending send with `code` and destroys the socket. */
  fail(code: StreamErrorCode, message: string, report: boolean, cause?: unknown): void {
    if (this.#state === 'ended') return;
    this.#end(this.#error(code, message, cause), report);
  }

  /** Resolves once the socket is closed. */
  whenClosed(): Promise<void> {
    return this.#closed;
  }

  /** Destroys the socket of an ended connection that lingers (see the class) now: the node closes. */
  release(): void {
    this.#lingering?.release();
  }

  #error(code: StreamErrorCode, message: string, cause?: unknown): StreamError {
    return new StreamError(code, message, { remote: this.remote.key, cause });
  }

  /** `linger`: keep the socket until it can be closed safely (an ACK timeout). */
  #end(error: StreamError, report: boolean, linger = false): void {
    this.#state = 'ended';
    this.#clearTimers();
    if (linger && this.#window === 1)
      this.#lingering = new LingeringSocket(
        this.#socket,
        this.#options,
        this.#inFlight.length,
        this.#acks,
      );
    else this.#socket.destroy();
    this.#queuedBytes = 0;
    if (this.#pumpScheduled !== undefined) clearImmediate(this.#pumpScheduled);
    this.#pumpScheduled = undefined;
    const failed = [...this.#inFlight.drain(), ...this.#urgent.drain(), ...this.#waiting.drain()];
    // The node forgets this connection first, so that a callback sending again gets a new one.
    try {
      this.#onEnded(this, error, report);
    } finally {
      for (const settlement of failed) settle(settlement, error);
    }
  }

  #clearTimers(): void {
    if (this.#connectTimer !== undefined) this.#clock.clearTimeout(this.#connectTimer);
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#connectTimer = undefined;
    this.#timer = undefined;
  }

  /** Makes sure the timer fires no later than `due`. */
  #armTimer(due: number, time: number): void {
    if (due >= this.#timerDue) return;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = this.#clock.setTimeout(this.#onTimer, Math.max(1, Math.ceil(due - time)));
  }

  /**
   * Writes waiting frames while the window has room; several at once go out in one write. True
   * when it wrote (and so noted the time as the last activity).
   */
  #pump(): boolean {
    if (this.#state !== 'open') return false;
    const room = Math.min(
      this.#window - this.#inFlight.length,
      this.#urgent.length + this.#waiting.length,
    );
    if (room <= 0) return false;
    const socket = this.#socket;
    const time = this.#clock.now();
    if (room > 1) socket.cork();
    for (let i = 0; i < room; i++) {
      const from = this.#urgent.length > 0 ? this.#urgent : this.#waiting;
      socket.write(from.moveHeadTo(this.#inFlight, time));
    }
    if (room > 1) socket.uncork();
    this.#lastActivity = time;
    this.#armTimer(time + this.#options.ackTimeout, time);
    return true;
  }

  readonly #scheduledPump = (): void => {
    this.#pumpScheduled = undefined;
    this.#pump();
  };

  readonly #onConnect = (): void => {
    if (this.#connectTimer !== undefined) this.#clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    if (this.#state !== 'connecting') return;
    this.#state = 'open';
    const time = this.#clock.now();
    this.#lastActivity = time;
    if (this.#idleAfter > 0) this.#armTimer(time + this.#idleAfter, time);
    this.#pump();
  };

  /** Bytes read back, in the buffer every outgoing connection shares (see `dial`). */
  readonly #onRead = (length: number, bytes: Uint8Array): boolean => {
    this.#onAcks(bytes, length);
    return true;
  };

  #onAcks(bytes: Uint8Array, length: number): void {
    if (this.#state === 'ended') {
      this.#lingering?.read(bytes, length);
      return;
    }
    const count = this.#acks.push(bytes, length);
    if (count < 0) {
      this.#end(notAnAck(bytes.subarray(0, length), this.#acks.badOffset, this.remote.key), true);
      return;
    }
    const inFlight = this.#inFlight;
    const settled = Math.min(count, inFlight.length);
    if (settled === 1) {
      // Lock-step: one at a time, no list to build.
      this.#queuedBytes -= (inFlight.headFrame as Uint8Array).length;
      settle(inFlight.shift(), undefined);
    } else {
      // Taken off first and all reported as acknowledged, whatever a callback does meanwhile.
      const acknowledged: Settlement[] = [];
      for (let i = 0; i < settled; i++) {
        this.#queuedBytes -= (inFlight.headFrame as Uint8Array).length;
        acknowledged.push(inFlight.shift());
      }
      for (const settlement of acknowledged) settle(settlement, undefined);
    }
    // A callback may have closed this connection (disconnect, close).
    if ((this.#state as State) === 'ended') return;
    if (count > settled) {
      this.fail(
        'ERR_STREAM_PROTOCOL',
        `${this.remote.key} sent ${count - settled} more ACK than packets were in flight`,
        true,
      );
      return;
    }
    // In lock-step the next frame usually leaves now, and its write notes the time for both.
    if (this.#window === 1) {
      if (!this.#pump()) this.#lastActivity = this.#clock.now();
    } else {
      this.#lastActivity = this.#clock.now();
      this.#schedulePump();
    }
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    if (this.#state !== 'open') return;
    const time = this.#clock.now();
    if (this.#inFlight.length > 0) {
      const due = this.#inFlight.headSentAt + this.#options.ackTimeout;
      // Timers may fire a fraction of a millisecond before the monotonic clock agrees.
      if (due - time > 1) {
        this.#armTimer(due, time);
        return;
      }
      this.#end(
        this.#error(
          'ERR_STREAM_ACK_TIMEOUT',
          `${this.remote.key} did not acknowledge a packet within ${this.#options.ackTimeout} ms`,
        ),
        true,
        true,
      );
      return;
    }
    if (this.#idleAfter === 0 || this.#waiting.length + this.#urgent.length > 0) return;
    const due = this.#lastActivity + this.#idleAfter;
    if (due - time > 1) {
      this.#armTimer(due, time);
      return;
    }
    this.fail(
      'ERR_STREAM_CLOSED',
      `the connection to ${this.remote.key} was closed by this node after ${this.#idleAfter} ms idle`,
      false,
    );
  };

  readonly #onConnectTimeout = (): void => {
    this.#connectTimer = undefined;
    this.fail(
      'ERR_STREAM_CONNECT_TIMEOUT',
      `could not connect to ${this.remote.key} within ${this.#options.connectTimeout} ms`,
      true,
    );
  };

  readonly #onEnd = (): void => {
    this.#closedByRemote();
  };

  readonly #onClose = (): void => {
    this.#closedByRemote();
  };

  #closedByRemote(): void {
    if (this.#state === 'ended') {
      this.release();
      return;
    }
    const pending = this.#waiting.length + this.#urgent.length + this.#inFlight.length;
    this.fail(
      'ERR_STREAM_CLOSED',
      pending > 0
        ? `${this.remote.key} closed the connection with ${pending} packets pending`
        : `${this.remote.key} closed the connection`,
      true,
    );
  }

  readonly #onError = (error: NodeJS.ErrnoException): void => {
    if (this.#state === 'ended') {
      this.release();
      return;
    }
    this.#end(socketFailure(error, this.#state === 'connecting', this.remote.key), true);
  };
}
