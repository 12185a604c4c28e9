import { EventEmitter } from 'node:events';
import net from 'node:net';
import {
  type Address,
  CodecError,
  encode,
  type Framing,
  formatAddress,
  normaliseAddress,
  type Packet,
} from '@p2p/codec';
import { StreamError } from './errors.js';
import type { StreamEvents } from './events.js';
import { FramingMemory } from './framing-memory.js';
import { InboundConnection, type InboundHandlers } from './inbound-connection.js';
import { InboundSlots } from './inbound-slots.js';
import { type ResolvedOptions, resolveOptions, type StreamNodeOptions } from './options.js';
import { OutboundConnection } from './outbound-connection.js';
import { type Remote, RemoteCache } from './remote-address.js';
import { callSettled, type SendSettled } from './settle.js';

/** Options of one `send()`. */
export interface SendOptions {
  /** Send ahead of the packets already waiting for this remote (never ahead of those in flight). */
  urgent?: boolean;
}

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

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function listenFailure(key: string, error: NodeJS.ErrnoException): StreamError {
  const hint: Record<string, string> = {
    EADDRINUSE:
      'the address is already in use; pick another port (or port 0 to let the system choose) or stop the process using it',
    EACCES: 'permission denied; ports below 1024 need privileges, pick a higher port',
    EADDRNOTAVAIL:
      'the address does not belong to this machine; use one of its own addresses (or 0.0.0.0)',
  };
  const reason = (error.code !== undefined && hint[error.code]) || error.message;
  return new StreamError('ERR_STREAM_LISTEN', `cannot listen on ${key}: ${reason}`, {
    remote: key,
    cause: error,
  });
}

/**
 * A node's transport (protocol.md section 4): the TCP server every node runs, which acknowledges
 * and reports each packet it reads, and one kept outgoing connection per remote node, over which
 * `send()` resolves when the remote's `ACK` arrives. It moves packets; it does not know what they
 * mean.
 *
 * Events: `'packet'` ({@link InboundPacket}), `'unreachable'` ({@link UnreachableEvent}) and
 * `'malformed'` ({@link MalformedEvent}).
 *
 * @example
 * ```ts
 * const node = await StreamNode.listen({ listen: '127.0.0.1:0' });
 * node.on('packet', ({ packet }) => console.log(packet));
 * await node.send('127.0.0.1:5353', { kind: 'join', source: node.address });
 * await node.close();
 * ```
 */
export class StreamNode extends EventEmitter<StreamEvents> {
  readonly #options: ResolvedOptions;
  readonly #server: net.Server;
  readonly #framing = new FramingMemory();
  readonly #remotes = new RemoteCache();
  readonly #outbound = new Map<string, OutboundConnection>();
  /** Sockets of ended outgoing connections that have not closed yet. */
  readonly #outboundClosing = new Set<Promise<void>>();
  readonly #inbound: InboundSlots;
  readonly #inboundHandlers: InboundHandlers;
  #address: Address;
  #closing: Promise<void> | undefined;
  #closed = false;
  #lastMessage:
    | { framing: Framing; text: string; host: string; port: number; frame: Uint8Array }
    | undefined;

  private constructor(options: ResolvedOptions) {
    super();
    this.#options = options;
    this.#address = options.listen;
    this.#inbound = new InboundSlots(options);
    this.#inboundHandlers = {
      packet: (event) => this.emit('packet', event),
      malformed: (event) => this.emit('malformed', event),
      closed: (connection) => {
        this.#inbound.delete(connection);
        options.logger.debug(
          { remote: formatAddress(connection.remote) },
          'inbound connection closed',
        );
      },
    };
    // Handlers are attached before listening so no accepted socket can go unhandled.
    this.#server = net.createServer(this.#onConnection);
  }

  /**
   * Starts a node listening on `options.listen`. Rejects with StreamError ERR_STREAM_LISTEN when the
   * address cannot be bound (in use, not this machine's…) and ERR_STREAM_INVALID_ARGUMENT for bad options.
   */
  static async listen(options: StreamNodeOptions): Promise<StreamNode> {
    const node = new StreamNode(resolveOptions(options));
    await node.#listen();
    return node;
  }

  /** The bound address: host in plain dotted form, the real port (also when 0 was asked for). */
  get address(): Address {
    return this.#address;
  }

  /**
   * Sends a packet to the node whose server is at `to`, in the framing that node last used toward
   * us (else `defaultFraming`). Resolves when the remote acknowledges it; rejects with a
   * StreamError (ERR_STREAM_REFUSED, ERR_STREAM_RESET, ERR_STREAM_CLOSED, ERR_STREAM_ACK_TIMEOUT, ERR_STREAM_CONNECT_TIMEOUT,
   * ERR_STREAM_QUEUE_FULL, ERR_STREAM_NODE_CLOSED, ERR_STREAM_PROTOCOL, or ERR_STREAM_INVALID_ARGUMENT for a bad address or a
   * packet the codec cannot encode, the CodecError as `cause`).
   *
   * `urgent` packets (heartbeats, control) go ahead of the packets waiting for that remote, so
   * that a backlog of bulk traffic does not delay them past a timeout; the order among urgent
   * packets, and among the others, is kept.
   */
  send(to: Address | string, packet: Packet, options: SendOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      this.post(to, packet, options, (error) => (error === undefined ? resolve() : reject(error)));
    });
  }

  /**
   * `send()` without a promise, for senders that do not wait on each packet (a node forwarding a
   * flood): `settled`, if given, is called exactly once, with no argument when the ACK arrived or
   * with the StreamError `send()` would reject with — synchronously for a send refused at once
   * (bad address or packet, closed node, full queue). One function can serve every post: the
   * error names the remote (`error.remote`) whenever the address was valid. The callback may send
   * again (a connection that failed is already forgotten, so that opens a new one) and must not
   * throw: a throw is rethrown on its own as an uncaught exception.
   */
  post(
    to: Address | string,
    packet: Packet,
    options: SendOptions = {},
    settled?: SendSettled,
  ): void {
    let remote: Remote;
    let frame: Uint8Array;
    try {
      remote = this.#resolve(to);
    } catch (error) {
      callSettled(settled, error as StreamError);
      return;
    }
    if (this.#closed) {
      callSettled(
        settled,
        new StreamError(
          'ERR_STREAM_NODE_CLOSED',
          'this node is closed; start a new one to send again',
          {
            remote: remote.key,
          },
        ),
      );
      return;
    }
    try {
      frame = this.#encode(packet, this.#framing.get(remote.key) ?? this.#options.defaultFraming);
    } catch (error) {
      callSettled(
        settled,
        new StreamError(
          'ERR_STREAM_INVALID_ARGUMENT',
          `cannot send to ${remote.key}: invalid packet: ${reasonOf(error)}`,
          { remote: remote.key, cause: error },
        ),
      );
      return;
    }
    let connection = this.#outbound.get(remote.key);
    if (connection === undefined) {
      connection = new OutboundConnection(remote, this.#options, this.#onOutboundEnded);
      this.#outbound.set(remote.key, connection);
      this.#options.logger.debug({ remote: remote.key }, 'connecting');
    }
    connection.send(frame, options.urgent === true, settled);
  }

  /** The framing `send()` uses toward `remote`: the one it last used toward us, else the default. */
  framingFor(remote: Address | string): Framing {
    return this.#framing.get(this.#resolve(remote).key) ?? this.#options.defaultFraming;
  }

  /**
   * Closes the outgoing connection to `remote`, if any; its pending sends reject with ERR_STREAM_CLOSED.
   * No `'unreachable'` event follows, since it was asked for. The next send reconnects.
   */
  disconnect(remote: Address | string): void {
    const { key } = this.#resolve(remote);
    this.#outbound
      .get(key)
      ?.fail(
        'ERR_STREAM_CLOSED',
        `the connection to ${key} was closed by this node (disconnect)`,
        false,
      );
  }

  /** Connection and send counts right now. */
  stats(): StreamStats {
    let queued = 0;
    let inFlight = 0;
    for (const connection of this.#outbound.values()) {
      queued += connection.queued;
      inFlight += connection.inFlight;
    }
    return { inbound: this.#inbound.size, outbound: this.#outbound.size, queued, inFlight };
  }

  /**
   * Stops the server, destroys every connection and timer and rejects every pending send with
   * ERR_STREAM_NODE_CLOSED. Resolves when every socket is closed. Idempotent: later calls return the same
   * promise.
   */
  close(): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    // Both set before anything is failed: a failing send's callback that sends again is refused,
    // and one that calls close() again gets this same promise.
    this.#closed = true;
    let shutDown: () => void = () => {};
    this.#closing = new Promise((resolve) => {
      shutDown = resolve;
    });
    void this.#shutdown().then(shutDown);
    return this.#closing;
  }

  /** `await using node = await StreamNode.listen(…)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /**
   * Encodes a packet; a Message identical to the last one encoded in the same framing (a flood
   * forwarded to several neighbours) reuses its frame. Frames are never written to after encoding.
   */
  #encode(packet: Packet, framing: Framing): Uint8Array {
    if (packet?.kind !== 'message') return encode(packet, framing);
    const last = this.#lastMessage;
    if (
      last !== undefined &&
      last.framing === framing &&
      last.text === packet.text &&
      last.host === packet.source?.host &&
      last.port === packet.source?.port
    )
      return last.frame;
    const frame = encode(packet, framing);
    this.#lastMessage = {
      framing,
      text: packet.text,
      host: packet.source.host,
      port: packet.source.port,
      frame,
    };
    return frame;
  }

  #resolve(to: Address | string): Remote {
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

  #listen(): Promise<void> {
    const { host, port } = this.#options.listen;
    const key = formatAddress(this.#options.listen);
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException): void => reject(listenFailure(key, error));
      this.#server.once('error', onError);
      this.#server.listen({ host, port }, () => {
        this.#server.off('error', onError);
        this.#server.on('error', this.#onServerError);
        const bound = this.#server.address() as net.AddressInfo;
        // Frozen: it is handed out to every caller and must not change under the others.
        this.#address = Object.freeze(normaliseAddress({ host: bound.address, port: bound.port }));
        this.#options.logger.info({ address: formatAddress(this.#address) }, 'listening');
        resolve();
      });
    });
  }

  async #shutdown(): Promise<void> {
    const serverClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const connection of [...this.#outbound.values()]) {
      connection.fail(
        'ERR_STREAM_NODE_CLOSED',
        `this node was closed before ${connection.remote.key} acknowledged the packet`,
        false,
      );
    }
    const socketsClosed = [...this.#outboundClosing];
    for (const connection of this.#inbound.values()) {
      socketsClosed.push(connection.whenClosed());
      connection.destroy();
    }
    await Promise.all([serverClosed, ...socketsClosed]);
    this.#options.logger.info({ address: formatAddress(this.#address) }, 'closed');
  }

  /**
   * Makes room for a newcomer as InboundSlots decides (protocol.md section 4): a connection is
   * closed only to make room, never for being idle. Returns false when the newcomer is refused.
   */
  #makeRoom(socket: net.Socket): boolean {
    const { maxConnections, maxConnectionsPerIp, logger } = this.#options;
    const admission = this.#inbound.admit(socket.remoteAddress ?? '');
    if (admission.kind === 'admit') return true;
    if (admission.kind === 'refuse') {
      logger.warn(
        { remote: `${socket.remoteAddress}:${socket.remotePort}`, maxConnections },
        'refusing connection: too many inbound connections',
      );
      return false;
    }
    const { victim, reason } = admission;
    logger.warn(
      { remote: formatAddress(victim.remote), maxConnections, maxConnectionsPerIp, reason },
      reason === 'silent'
        ? 'closing a connection that sent no frame, to make room'
        : 'closing the longest-idle connection of a host holding the most slots, to make room',
    );
    this.#inbound.delete(victim);
    victim.destroy();
    return true;
  }

  readonly #onConnection = (socket: net.Socket): void => {
    const { logger } = this.#options;
    if (this.#closed) {
      socket.destroy();
      return;
    }
    if (socket.remoteAddress === undefined) {
      // Already gone before we saw it.
      socket.destroy();
      return;
    }
    if (!this.#makeRoom(socket)) {
      socket.destroy();
      return;
    }
    const connection = new InboundConnection(
      socket,
      this.#options,
      this.#framing,
      this.#inboundHandlers,
    );
    this.#inbound.add(connection);
    logger.debug({ remote: formatAddress(connection.remote) }, 'inbound connection');
  };

  readonly #onOutboundEnded = (
    connection: OutboundConnection,
    error: StreamError,
    report: boolean,
  ): void => {
    const { key, address } = connection.remote;
    if (this.#outbound.get(key) === connection) this.#outbound.delete(key);
    // Forgotten by the node, but close() must still wait for its socket.
    const closed = connection.whenClosed();
    this.#outboundClosing.add(closed);
    void closed.then(() => this.#outboundClosing.delete(closed));
    const { logger } = this.#options;
    if (!report) {
      logger.debug({ remote: key, code: error.code, reason: error.message }, 'connection closed');
    } else {
      logger.warn({ remote: key, code: error.code, reason: error.message }, 'remote unreachable');
      this.emit('unreachable', { address: { ...address }, error });
    }
  };

  readonly #onServerError = (error: Error): void => {
    this.#options.logger.error({ reason: error.message }, 'server error');
  };
}
