import { EventEmitter } from 'node:events';
import {
  type Address,
  type Frame,
  type Framing,
  formatAddress,
  type OutgoingFrame,
  type Packet,
  PacketFrame,
} from '@p2p/codec';
import { StreamError } from './errors.js';
import type { SocketPeer, StreamEvents } from './events.js';
import type { FloodReporter } from './flood.js';
import { FramingMemory } from './framing-memory.js';
import { InboundServer } from './inbound-server.js';
import { type ResolvedOptions, resolveOptions, type StreamNodeOptions } from './options.js';
import { OutboundTable, type Sendable } from './outbound-table.js';
import { Probe, type ProbeResult } from './probe.js';

/** Options of one `send()`. */
export interface SendOptions {
  /** Send ahead of the packets already waiting for this remote (never ahead of those in flight). */
  urgent?: boolean;
}

/**
 * Whether an offer that opens a connection is answered ({@link StreamNode.answerOffers}): the offer
 * frame, and the TCP peer it came from. A throw leaves the offer unanswered (and is logged).
 */
export type OfferFilter = (offer: Frame, remote: SocketPeer) => boolean;

/** Counts of a node's connections and pending sends, for metrics. */
export interface StreamStats {
  /** Accepted connections open now. */
  inbound: number;
  /** Outgoing connections open or opening now. */
  outbound: number;
  /** Sends waiting for their turn, over every remote. */
  queued: number;
  /** Sends written and not yet acknowledged, over every remote. */
  inFlight: number;
}

/**
 * A node's transport (protocol.md section 4): the TCP server every node runs, which acknowledges
 * and reports each frame it reads ({@link InboundServer}), and one kept outgoing connection per
 * remote node ({@link OutboundTable}), over which a send settles when the remote's `ACK` arrives.
 * It moves frames; it never looks at what they say.
 *
 * Events: `'packet'` ({@link InboundPacket}), `'unreachable'` ({@link UnreachableEvent}) and
 * `'malformed'` ({@link MalformedEvent}).
 *
 * @example
 * ```ts
 * const node = await StreamNode.listen({ listen: '127.0.0.1:0' });
 * node.on('packet', ({ frame }) => console.log(frame.kind, frame.source));
 * await node.send('127.0.0.1:5353', { kind: 'join', source: node.address });
 * await node.close();
 * ```
 */
export class StreamNode extends EventEmitter<StreamEvents> {
  readonly #options: ResolvedOptions;
  readonly #server: InboundServer;
  readonly #outbound: OutboundTable;
  #address: Address;
  #closing: Promise<void> | undefined;
  /** The answer to Capabilities offers ({@link StreamNode.answerOffers}). */
  #offerAnswer: PacketFrame | undefined;
  /** Which offers get that answer ({@link StreamNode.answerOffers}); none: every one. */
  #answersOffer: OfferFilter | undefined;
  readonly #probes = new Set<Probe>();

  private constructor(options: ResolvedOptions) {
    super();
    this.#options = options;
    this.#address = options.listen;
    const framing = new FramingMemory();
    this.#server = new InboundServer(options, framing, {
      packet: (event) => this.emit('packet', event),
      malformed: (event) => this.emit('malformed', event),
      offerAnswer: (offer, remote) =>
        this.#answersOffer === undefined || this.#answersOffer(offer, remote)
          ? this.#offerAnswer
          : undefined,
    });
    this.#outbound = new OutboundTable(options, framing, (event) =>
      this.emit('unreachable', event),
    );
  }

  /**
   * Starts a node listening on `options.listen`. Rejects with StreamError ERR_STREAM_LISTEN when
   * the address cannot be bound (in use, not this machine's…) and ERR_STREAM_INVALID_ARGUMENT for
   * bad options.
   */
  static async listen(options: StreamNodeOptions): Promise<StreamNode> {
    const node = new StreamNode(resolveOptions(options));
    node.#address = await node.#server.listen();
    node.#options.logger.info({ address: formatAddress(node.#address) }, 'listening');
    return node;
  }

  /** The bound address: host in plain dotted form, the real port (also when 0 was asked for). */
  get address(): Address {
    return this.#address;
  }

  /** The per-remote queue limits in force (`maxQueue`, `maxQueueBytes`). */
  get queueLimits(): { maxQueue: number; maxQueueBytes: number } {
    return { maxQueue: this.#options.maxQueue, maxQueueBytes: this.#options.maxQueueBytes };
  }

  /**
   * Sends one packet to the node whose server is at `to`, in the framing that node last used
   * toward us (else `defaultFraming`): a {@link Packet}, encoded now, or an {@link OutgoingFrame}
   * (a re-sourced frame, a `PacketFrame`), asked for its bytes in that framing. Resolves when the
   * remote acknowledges it; rejects with a StreamError (ERR_STREAM_REFUSED, ERR_STREAM_RESET,
   * ERR_STREAM_CLOSED, ERR_STREAM_ACK_TIMEOUT, ERR_STREAM_CONNECT_TIMEOUT, ERR_STREAM_QUEUE_FULL,
   * ERR_STREAM_NODE_CLOSED, ERR_STREAM_PROTOCOL, or ERR_STREAM_INVALID_ARGUMENT for a bad address
   * or a packet the codec cannot encode, the CodecError as `cause`).
   *
   * `urgent` packets (heartbeats, control) go ahead of the packets waiting for that remote, so
   * that a backlog of bulk traffic does not delay them past a timeout; the order among urgent
   * packets, and among the others, is kept.
   */
  send(to: Address | string, what: Sendable, options: SendOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#outbound.send(to, what, options.urgent === true, (error) =>
        error === undefined ? resolve() : reject(error),
      );
    });
  }

  /**
   * Hands one frame to many neighbours (a flood): each gets it in its own framing, and `frame`
   * encodes at most once per framing. No promise nor callback per neighbour: `report`, if given,
   * is called once after every target has settled, with the number acknowledged and the error of
   * each failure (synchronously when every target was refused at once: a bad address, a closed
   * node, a full queue). It must not throw (a throw is rethrown on its own as an uncaught
   * exception). A failed connection also emits `'unreachable'` as for any send.
   */
  flood(targets: Iterable<Address | string>, frame: OutgoingFrame, report?: FloodReporter): void {
    this.#outbound.flood(targets, frame, report);
  }

  /**
   * The send window toward `remote` from now on (docs/protocol.md 10.1.7): applied to
   * the live connection at once (a larger window lets waiting frames out) and kept for the next
   * connections to it; `undefined` returns it to `options.window`. At most `maxConnections`
   * remotes keep a setting (the oldest is dropped). Throws StreamError ERR_STREAM_INVALID_ARGUMENT
   * for a bad address or a window that is not an integer from 1 to 65,536.
   */
  setWindow(remote: Address | string, window: number | undefined): void {
    this.#outbound.setWindow(remote, window);
  }

  /**
   * The Capabilities answer (`capabilities-answer`) this node writes back, before the `ACK`, when
   * the first frame of an accepted connection is a `capabilities-offer` (a probe, 10.1.2); in the
   * offer's framing. `undefined` (the default) answers no offer: it is acknowledged like any
   * frame. An offer later on a connection is never answered. `accept`, if given, is asked first
   * with the offer frame and the connection's remote socket: `false` leaves that offer unanswered
   * (a node that will refuse the offer, say for a source address that is not the connection's,
   * must not answer it, or the prober would take the edge for one the node does not). Either way
   * the offer is emitted as a `'packet'`. Throws ERR_STREAM_INVALID_ARGUMENT for anything but a
   * Capabilities answer the codec can write.
   */
  answerOffers(answer: Packet | undefined, accept?: OfferFilter): void {
    if (answer === undefined) {
      this.#offerAnswer = undefined;
      this.#answersOffer = undefined;
      return;
    }
    if (answer?.kind !== 'capabilities-answer') {
      throw new StreamError(
        'ERR_STREAM_INVALID_ARGUMENT',
        'answerOffers takes a capabilities-answer packet',
      );
    }
    const frame = new PacketFrame(answer);
    try {
      frame.bytes('binary');
    } catch (error) {
      throw new StreamError(
        'ERR_STREAM_INVALID_ARGUMENT',
        `invalid capabilities answer: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    this.#offerAnswer = frame;
    this.#answersOffer = accept;
  }

  /**
   * Writes `offer` alone on a new, throw-away connection to `to` (docs/protocol.md
   * 10.1.2), in the framing `to` last used toward us, and reads what comes back: `answered` (a
   * frame, then `ACK`), `acknowledged` (`ACK` alone) or `refused` (refused, reset or closed,
   * nothing within `connectTimeout` then `ackTimeout`, or this node closed). Never emits
   * `'unreachable'` and never touches the kept connection to `to`; the probe's connection is
   * closed in order by this side. Rejects only for bad input (ERR_STREAM_INVALID_ARGUMENT: an
   * address, a packet the codec cannot encode). `close()` ends open probes and waits for them.
   */
  async probe(to: Address | string, offer: Packet): Promise<ProbeResult> {
    const remote = this.#outbound.resolve(to);
    if (this.#closing !== undefined) {
      return {
        outcome: 'refused',
        error: new StreamError(
          'ERR_STREAM_NODE_CLOSED',
          'this node is closed; start a new one to probe',
          {
            remote: remote.key,
          },
        ),
      };
    }
    let bytes: Uint8Array;
    try {
      bytes = new PacketFrame(offer).bytes(this.#outbound.framingOf(remote));
    } catch (error) {
      throw new StreamError(
        'ERR_STREAM_INVALID_ARGUMENT',
        `cannot probe ${remote.key}: invalid packet: ${(error as Error).message}`,
        {
          remote: remote.key,
          cause: error,
        },
      );
    }
    const probe = new Probe(remote, bytes, this.#options);
    this.#probes.add(probe);
    void probe.whenClosed().then(() => this.#probes.delete(probe));
    const result = await probe.result;
    this.#options.logger.debug(
      {
        remote: remote.key,
        outcome: result.outcome,
        ...(result.outcome === 'refused' ? { code: result.error.code } : {}),
      },
      'probe settled',
    );
    return result;
  }

  /** The framing sends toward `remote` use: the one it last used toward us, else the default. */
  framingFor(remote: Address | string): Framing {
    return this.#outbound.framingOf(this.#outbound.resolve(remote));
  }

  /**
   * Closes the outgoing connection to `remote`, if any; its pending sends reject with
   * ERR_STREAM_CLOSED. No `'unreachable'` event follows, since it was asked for. The next send
   * reconnects.
   */
  disconnect(remote: Address | string): void {
    this.#outbound.disconnect(remote);
  }

  /** Connection and send counts right now. */
  stats(): StreamStats {
    return { inbound: this.#server.size, ...this.#outbound.counts() };
  }

  /**
   * Stops the server, destroys every connection and timer and rejects every pending send with
   * ERR_STREAM_NODE_CLOSED. Resolves when every socket is closed. Idempotent: later calls return
   * the same promise.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    // Set before anything is failed: a failing send's callback that calls close() again gets
    // this same promise, and one that sends again is refused at once.
    let closed: () => void = () => {};
    this.#closing = new Promise((resolve) => {
      closed = resolve;
    });
    void this.#shutdown().then(closed);
    return this.#closing;
  }

  /** `await using node = await StreamNode.listen(…)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  async #shutdown(): Promise<void> {
    // Both stop at once (no accepted socket, no send is taken any more), then wait for sockets.
    const probes = [...this.#probes].map((probe) => {
      probe.abort();
      return probe.whenClosed();
    });
    await Promise.all([this.#server.close(), this.#outbound.close(), ...probes]);
    this.#options.logger.info({ address: formatAddress(this.#address) }, 'closed');
  }
}
