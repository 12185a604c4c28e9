import net from 'node:net';
import { type Address, formatAddress, normaliseAddress } from '@p2p/codec';
import { StreamError } from './errors.js';
import type { FramingMemory } from './framing-memory.js';
import { InboundConnection, type InboundHandlers } from './inbound-connection.js';
import { InboundSlots } from './inbound-slots.js';
import type { ResolvedOptions } from './options.js';

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
 * The accepting side of a node (protocol.md section 4): the TCP server, an
 * {@link InboundConnection} per accepted socket (which acknowledges and reports each frame), and
 * who makes room when the connection limits are reached ({@link InboundSlots}).
 */
export class InboundServer {
  readonly #options: ResolvedOptions;
  readonly #server: net.Server;
  readonly #framing: FramingMemory;
  readonly #slots: InboundSlots;
  readonly #handlers: InboundHandlers;
  #closed = false;

  /** `events` hears every frame read and every connection closed for a malformed one. */
  constructor(
    options: ResolvedOptions,
    framing: FramingMemory,
    events: Pick<InboundHandlers, 'packet' | 'malformed' | 'offerAnswer'>,
  ) {
    this.#options = options;
    this.#framing = framing;
    this.#slots = new InboundSlots(options);
    this.#handlers = {
      packet: events.packet,
      malformed: events.malformed,
      offerAnswer: events.offerAnswer,
      closed: (connection) => {
        this.#slots.delete(connection);
        options.logger.debug(
          { remote: formatAddress(connection.remote) },
          'inbound connection closed',
        );
      },
    };
    // Handlers are attached before listening so no accepted socket can go unhandled.
    this.#server = net.createServer(this.#onConnection);
  }

  /** Accepted connections open now. */
  get size(): number {
    return this.#slots.size;
  }

  /** Listens on `options.listen`; resolves with the bound address (host plain, real port). */
  listen(): Promise<Address> {
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
        resolve(Object.freeze(normaliseAddress({ host: bound.address, port: bound.port })));
      });
    });
  }

  /** Stops accepting and destroys every accepted connection; resolves when all are closed. */
  async close(): Promise<void> {
    this.#closed = true;
    const closed: Promise<void>[] = [
      new Promise<void>((resolve) => this.#server.close(() => resolve())),
    ];
    for (const connection of this.#slots.values()) {
      closed.push(connection.whenClosed());
      connection.destroy();
    }
    await Promise.all(closed);
  }

  /**
   * Makes room for a newcomer as InboundSlots decides (protocol.md section 4): a connection is
   * closed only to make room, never for being idle. Returns false when the newcomer is refused.
   */
  #makeRoom(socket: net.Socket): boolean {
    const { maxConnections, maxConnectionsPerIp, logger } = this.#options;
    const admission = this.#slots.admit(socket.remoteAddress ?? '');
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
        : reason === 'probe'
          ? "closing a probe's connection (it carries nothing after its offer), to make room"
          : 'closing the longest-idle connection of a host holding the most slots, to make room',
    );
    this.#slots.delete(victim);
    victim.destroy();
    return true;
  }

  readonly #onConnection = (socket: net.Socket): void => {
    // Closed, or already gone before we saw it.
    if (this.#closed || socket.remoteAddress === undefined || !this.#makeRoom(socket)) {
      socket.destroy();
      return;
    }
    const connection = new InboundConnection(socket, this.#options, this.#framing, this.#handlers);
    this.#slots.add(connection);
    this.#options.logger.debug({ remote: formatAddress(connection.remote) }, 'inbound connection');
  };

  readonly #onServerError = (error: Error): void => {
    this.#options.logger.error({ reason: error.message }, 'server error');
  };
}
