import type net from 'node:net';
import { AckReader } from './ack-reader.js';
import type { Clock, TimerHandle } from './clock.js';
import { MAX_DELAY, type ResolvedOptions } from './options.js';

/** How long a socket lingers at most when idle connections are never closed, in ACK timeouts. */
const BOUND_IN_ACK_TIMEOUTS = 6;

/**
 * A socket this node is done with but must not close yet. The reference implementation's server
 * thread dies (a `KeyError`; it never reads again) when a connection's end reaches it together
 * with, or in the loop turn or two after, a frame it read on that connection (docs/interop.md):
 * closed the moment a send timed out, or the moment an `ACK` came, the end would reach a node that
 * is only slow at just that time.
 *
 * So the socket waits until the remote has acknowledged the `owed` frames it has not yet, then
 * one `ackTimeout` more, and ends in order (our FIN; the socket is destroyed if the FIN cannot
 * leave within `ackTimeout`). It is destroyed at once when the remote ends it or writes what is
 * not an `ACK` (a node that writes anything else is one of ours, which has no such flaw), or when
 * `release()` is called (the node closes); it ends in order when the bound passes first
 * (`idleTimeout`, or six `ackTimeout`s when idle connections are never closed).
 */
export class LingeringSocket {
  readonly #socket: net.Socket;
  readonly #clock: Clock;
  readonly #ackTimeout: number;
  readonly #acks: AckReader;
  #owed: number;
  #timer: TimerHandle | undefined;
  /** Our FIN is on its way. */
  #ending = false;
  #released = false;

  /** `acks`: the reader the connection used, which may hold part of an `ACK`. */
  constructor(socket: net.Socket, options: ResolvedOptions, owed: number, acks = new AckReader()) {
    this.#socket = socket;
    this.#clock = options.clock;
    this.#ackTimeout = options.ackTimeout;
    this.#acks = acks;
    this.#owed = owed;
    if (owed === 0) {
      this.#timer = this.#clock.setTimeout(this.#end, this.#ackTimeout);
    } else {
      const bound =
        options.idleTimeout > 0
          ? options.idleTimeout
          : Math.min(MAX_DELAY, BOUND_IN_ACK_TIMEOUTS * this.#ackTimeout);
      this.#timer = this.#clock.setTimeout(this.#end, bound);
    }
  }

  /** Bytes the remote wrote (valid only during the call). */
  read(bytes: Uint8Array, length = bytes.length): void {
    if (this.#released) return;
    const count = this.#acks.push(bytes, length);
    if (count < 0) {
      // Not an ACK: nothing of ours is waiting to be read there any more.
      this.release();
      return;
    }
    if (count === 0 || this.#owed === 0 || this.#ending) return;
    this.#owed = Math.max(0, this.#owed - count);
    if (this.#owed > 0) return;
    this.#stopTimer();
    this.#timer = this.#clock.setTimeout(this.#end, this.#ackTimeout);
  }

  /** Destroys the socket now, and stops waiting. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#stopTimer();
    if (!this.#socket.destroyed) this.#socket.destroy();
  }

  readonly #end = (): void => {
    this.#timer = undefined;
    if (this.#released || this.#ending) return;
    this.#ending = true;
    this.#timer = this.#clock.setTimeout(() => this.release(), this.#ackTimeout);
    this.#socket.end(() => this.release());
  };

  #stopTimer(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
