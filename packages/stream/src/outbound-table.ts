import {
  type Address,
  CodecError,
  encode,
  type Framing,
  type OutgoingFrame,
  type Packet,
} from '@p2p/codec';
import { StreamError } from './errors.js';
import type { UnreachableEvent } from './events.js';
import { type FloodReporter, FloodTally } from './flood.js';
import type { FramingMemory } from './framing-memory.js';
import type { ResolvedOptions } from './options.js';
import { OutboundConnection } from './outbound-connection.js';
import { type Remote, RemoteCache } from './remote-address.js';
import { type Settlement, settle } from './settle.js';

/** What can be sent: a packet (encoded per send) or a frame that encodes itself per framing. */
export type Sendable = Packet | OutgoingFrame;

function isOutgoingFrame(what: Sendable): what is OutgoingFrame {
  return (
    what !== null &&
    typeof what === 'object' &&
    typeof (what as Partial<OutgoingFrame>).bytes === 'function'
  );
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The sending side of a node: one kept outgoing connection per remote, opened on the first send,
 * forgotten when it fails (the next send opens a new one). Each frame is written in the framing
 * the remote last used toward us, else the default. Every outcome, refusals included, goes to the
 * send's settlement: nothing here throws at a sender.
 */
export class OutboundTable {
  readonly #options: ResolvedOptions;
  readonly #framing: FramingMemory;
  readonly #onUnreachable: (event: UnreachableEvent) => void;
  readonly #remotes = new RemoteCache();
  readonly #connections = new Map<string, OutboundConnection>();
  /**
   * Windows set per remote ({@link OutboundTable.setWindow}), oldest first: they outlive the
   * connection, so the next one to that remote starts with it. At most `maxConnections`.
   */
  readonly #windows = new Map<string, number>();
  /** Ended connections whose sockets have not closed yet (some linger after an ACK timeout). */
  readonly #ended = new Set<OutboundConnection>();
  #closed = false;

  constructor(
    options: ResolvedOptions,
    framing: FramingMemory,
    onUnreachable: (event: UnreachableEvent) => void,
  ) {
    this.#options = options;
    this.#framing = framing;
    this.#onUnreachable = onUnreachable;
  }

  /** The normalised remote; throws StreamError ERR_STREAM_INVALID_ARGUMENT for a bad address. */
  resolve(to: Address | string): Remote {
    try {
      return this.#remotes.resolve(to);
    } catch (error) {
      throw new StreamError(
        'ERR_STREAM_INVALID_ARGUMENT',
        error instanceof CodecError
          ? error.message
          : `invalid remote address: ${reasonOf(error)}; expected 'HOST:PORT'`,
        { cause: error },
      );
    }
  }

  /** The framing used toward `remote`: the one it last used toward us, else the default. */
  framingOf(remote: Remote): Framing {
    return this.#framing.get(remote.key) ?? this.#options.defaultFraming;
  }

  /** Queues `what` for `to`; `settlement` learns once how it ended. */
  send(to: Address | string, what: Sendable, urgent: boolean, settlement: Settlement): void {
    // A remote with a live connection is usually named by its key (a neighbour): no parse then.
    const live = typeof to === 'string' ? this.#connections.get(to) : undefined;
    let remote: Remote;
    if (live !== undefined) {
      remote = live.remote;
    } else {
      try {
        remote = this.resolve(to);
      } catch (error) {
        settle(settlement, error as StreamError);
        return;
      }
      // A closed table has no connection left, so a live one means it is open.
      if (this.#closed) {
        settle(
          settlement,
          new StreamError(
            'ERR_STREAM_NODE_CLOSED',
            'this node is closed; start a new one to send again',
            { remote: remote.key },
          ),
        );
        return;
      }
    }
    let bytes: Uint8Array;
    try {
      const framing = this.framingOf(remote);
      bytes = isOutgoingFrame(what) ? what.bytes(framing) : encode(what, framing);
    } catch (error) {
      settle(
        settlement,
        new StreamError(
          'ERR_STREAM_INVALID_ARGUMENT',
          `cannot send to ${remote.key}: invalid packet: ${reasonOf(error)}`,
          { remote: remote.key, cause: error },
        ),
      );
      return;
    }
    let connection = live ?? this.#connections.get(remote.key);
    if (connection === undefined) {
      const window = this.#windows.get(remote.key) ?? this.#options.window;
      connection = new OutboundConnection(remote, this.#options, this.#onEnded, window);
      this.#connections.set(remote.key, connection);
      this.#options.logger.debug({ remote: remote.key }, 'connecting');
    }
    connection.send(bytes, urgent, settlement);
  }

  /** Queues `frame` for every target; `report`, if given, follows the last target to settle. */
  flood(targets: Iterable<Address | string>, frame: OutgoingFrame, report?: FloodReporter): void {
    const tally = report === undefined ? undefined : new FloodTally(report);
    for (const to of targets) {
      tally?.add();
      this.send(to, frame, false, tally);
    }
    tally?.sealed();
  }

  /**
   * The window toward `to` from now on, for its live connection and the next ones; `undefined`
   * returns it to `options.window`. Throws ERR_STREAM_INVALID_ARGUMENT for a bad address or window.
   */
  setWindow(to: Address | string, window: number | undefined): void {
    const { key } = this.resolve(to);
    if (window !== undefined && (!Number.isInteger(window) || window < 1 || window > 65_536)) {
      throw new StreamError(
        'ERR_STREAM_INVALID_ARGUMENT',
        `a window must be an integer from 1 to 65536, got ${String(window)}`,
        { remote: key },
      );
    }
    this.#windows.delete(key);
    if (window !== undefined) {
      this.#windows.set(key, window);
      // Bounded like the connections it serves: the oldest setting goes first.
      if (this.#windows.size > this.#options.maxConnections) {
        this.#windows.delete(this.#windows.keys().next().value as string);
      }
    }
    const connection = this.#connections.get(key);
    if (connection !== undefined) connection.window = window ?? this.#options.window;
  }

  /** Closes the connection to `to`, if any, without an `'unreachable'` event. */
  disconnect(to: Address | string): void {
    const { key } = this.resolve(to);
    this.#connections
      .get(key)
      ?.fail(
        'ERR_STREAM_CLOSED',
        `the connection to ${key} was closed by this node (disconnect)`,
        false,
      );
  }

  /** Connections open or opening, sends waiting, sends in flight. */
  counts(): { outbound: number; queued: number; inFlight: number } {
    let queued = 0;
    let inFlight = 0;
    for (const connection of this.#connections.values()) {
      queued += connection.queued;
      inFlight += connection.inFlight;
    }
    return { outbound: this.#connections.size, queued, inFlight };
  }

  /**
   * Refuses every later send, fails every pending one with ERR_STREAM_NODE_CLOSED; resolves when
   * every socket has closed.
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const connection of [...this.#connections.values()]) {
      connection.fail(
        'ERR_STREAM_NODE_CLOSED',
        `this node was closed before ${connection.remote.key} acknowledged the packet`,
        false,
      );
    }
    const ended = [...this.#ended];
    for (const connection of ended) connection.release();
    await Promise.all(ended.map((connection) => connection.whenClosed()));
  }

  readonly #onEnded = (
    connection: OutboundConnection,
    error: StreamError,
    report: boolean,
  ): void => {
    const { key, address } = connection.remote;
    if (this.#connections.get(key) === connection) this.#connections.delete(key);
    // Forgotten by the table, but close() must still wait for its socket.
    this.#ended.add(connection);
    void connection.whenClosed().then(() => this.#ended.delete(connection));
    const { logger } = this.#options;
    if (!report) {
      logger.debug({ remote: key, code: error.code, reason: error.message }, 'connection closed');
    } else {
      logger.warn({ remote: key, code: error.code, reason: error.message }, 'remote unreachable');
      this.#onUnreachable({ address: { ...address }, error });
    }
  };
}
