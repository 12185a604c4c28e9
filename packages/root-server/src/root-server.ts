import { EventEmitter } from 'node:events';
import { type Address, type Framing, formatAddress, parseAddress } from '@p2p/codec';
import {
  type Clock,
  type LosslessOptions,
  resolveTimings,
  systemClock,
  type TimingProfile,
  type Timings,
} from '@p2p/peer';
import { type Logger, StreamNode, type StreamNodeOptions, silentLogger } from '@p2p/stream';
import { advertiseOption, withListeningPort } from './advertise-option.js';
import { RootError } from './errors.js';
import { AdminServer, type AdminSource } from './http/admin-server.js';
import { addRoleMetrics, createMetrics, type RootMetrics } from './metrics.js';
import { Registry } from './registry/registry.js';
import { RootNode, type RootNodeEvents } from './root-node.js';
import { type DashboardStats, dashboardStats, RootStatsReader } from './root-stats.js';
import { RootTimers } from './root-timers.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { type Topology, topologyOf } from './topology.js';

export interface RootServerOptions {
  /** The root's TCP address, 'HOST:PORT' (port 0: the OS picks). */
  listen: string | Address;
  /**
   * The address the root names itself by, 'HOST:PORT' (port 0: the listening port), when peers
   * reach it at another than `listen`: on 0.0.0.0, behind NAT or a forwarded port, in a container.
   * It is the source of every packet the root sends, the parent it gives the nodes it places under
   * itself and the origin of its Messages, so peers must be given it as their root. Default: the
   * listening address; on 0.0.0.0, each node is answered from the address it dialled and the
   * origin is this machine's first external IPv4. 0.0.0.0 is refused (ERR_ROOT_INVALID_OPTION).
   */
  advertise?: string | Address;
  /** The admin HTTP address (port 0: the OS picks); null for none. Default '127.0.0.1:0'. */
  http?: string | null;
  /** A SQLite file path, ':memory:' (the default), a `postgres://` URL, or a Store. */
  store?: string | Store;
  /** Timers in ms, or 'reference' (default) / 'fast'. */
  timings?: Partial<Timings> | TimingProfile;
  /** After a restart, how long restored nodes have to say hello before the sweep may turn them off (default: the root timeout). */
  grace?: number;
  framing?: Framing;
  window?: number;
  logger?: Logger;
  /** Wall-clock milliseconds (lastSeen is shown as a date); tests pass a ManualClock. */
  clock?: Clock;
  /** Further transport options (limits, timeouts). */
  stream?: Omit<StreamNodeOptions, 'listen' | 'defaultFraming' | 'window' | 'logger'>;
  /**
   * The lossless extension (docs/protocol.md): on by default, with its bounds when
   * given; false: plain protocol version 1 (no offer answered, types 7 to 9 dropped).
   */
  lossless?: boolean | Partial<LosslessOptions>;
  /** Take every packet only from the IP it claims (default: unless listening on loopback). */
  verifySourceIp?: boolean;
  /** Most registered nodes (default 100,000). */
  maxRegistered?: number;
  /**
   * The term this root leads its PostgreSQL database in, when several roots share it: `/healthz`
   * and `/metrics` then show it as the leader.
   */
  leaderTerm?: number;
  /**
   * Forget the registration of a node out of the tree and not heard from for this long (ms).
   * Default {@link DEFAULT_FORGET_AFTER} (a day); Infinity keeps every registration.
   */
  forgetAfter?: number;
}

/** How long a node out of the tree stays registered without being heard from: a day. */
export const DEFAULT_FORGET_AFTER = 24 * 60 * 60 * 1000;

const wallClock: Clock = { ...systemClock, now: () => Date.now() };

/** The root node's events that change the tree (the dashboard hears of each). */
const TOPOLOGY_EVENTS = [
  'node-registered',
  'placed',
  'turned-off',
  'reattached',
  'neighbour-added',
  'neighbour-removed',
  'forgotten',
] as const;

/** The root node's events the server emits as its own. */
const FORWARDED_EVENTS = [...TOPOLOGY_EVENTS, 'kept', 'message', 'dropped'] as const;

/**
 * The root as a service (docs/architecture.md): the root node on its TCP server, the registry and its store,
 * the sweep, and the admin HTTP server. Events are those of the root node.
 */
export class RootServer extends EventEmitter<RootNodeEvents> {
  readonly node: RootNode;
  readonly timings: Timings;
  readonly #transport: StreamNode;
  #admin: AdminServer | undefined;
  readonly #logger: Logger;
  readonly #leaderTerm: number | undefined;
  readonly #stats: RootStatsReader;
  readonly #metrics: RootMetrics;
  #timers: RootTimers | undefined;
  #closed: Promise<void> | undefined;

  private constructor(parts: {
    node: RootNode;
    transport: StreamNode;
    timings: Timings;
    clock: Clock;
    logger: Logger;
    leaderTerm: number | undefined;
  }) {
    super();
    this.node = parts.node;
    this.#transport = parts.transport;
    this.timings = parts.timings;
    this.#logger = parts.logger;
    this.#leaderTerm = parts.leaderTerm;
    this.#stats = new RootStatsReader(parts.node, parts.clock);
    // Created now, not at the first scrape: process metrics count from here (CPU from the start).
    this.#metrics = this.#createMetrics();
    for (const event of TOPOLOGY_EVENTS) {
      // Coalesced by the event stream.
      this.node.on(event, () => this.#admin?.events.notify('topology'));
    }
    for (const event of FORWARDED_EVENTS) {
      this.node.on(event, (payload: unknown) => (this as EventEmitter).emit(event, payload));
    }
  }

  /** Opens the store, restores the tree, listens on TCP and HTTP, and starts the sweep. */
  static async start(options: RootServerOptions): Promise<RootServer> {
    const logger = options.logger ?? silentLogger;
    const clock = options.clock ?? wallClock;
    const timings = resolveTimings(options.timings);
    const listen =
      typeof options.listen === 'string' ? parseAddress(options.listen) : options.listen;
    const http = options.http === undefined ? '127.0.0.1:0' : options.http;
    const httpAddress = http === null ? null : parseAddress(http);
    const advertise = advertiseOption(options.advertise);
    const forgetAfter = options.forgetAfter ?? DEFAULT_FORGET_AFTER;
    if (!(forgetAfter > 0))
      throw new RootError(
        'ERR_ROOT_INVALID_OPTION',
        `forgetAfter must be a positive number of ms, not ${forgetAfter}`,
      );

    const store =
      typeof options.store === 'object'
        ? options.store
        : await openStore(options.store ?? ':memory:');
    let transport: StreamNode | undefined;
    let admin: AdminServer | undefined;
    try {
      transport = await StreamNode.listen({
        ...options.stream,
        listen,
        logger,
        ...(options.framing === undefined ? {} : { defaultFraming: options.framing }),
        ...(options.window === undefined ? {} : { window: options.window }),
      });
      const self =
        advertise === undefined ? undefined : withListeningPort(advertise, transport.address);
      const registry = new Registry({
        // The root's key in the graph is the name its children know it by.
        root: formatAddress(self ?? transport.address),
        store,
        onWriteFailed: (error) =>
          logger.error({ code: error.code, err: error.message }, 'writing to the store failed'),
      });
      const now = clock.now();
      const report = await registry.restore(
        now - timings.rootTimeout + (options.grace ?? timings.rootTimeout),
      );
      if (report.registered > 0)
        logger.info({ ...report, dropped: report.dropped.length }, 'registry restored');
      const node = new RootNode({
        transport,
        registry,
        clock,
        logger,
        rootTimeout: timings.rootTimeout,
        helloInterval: timings.helloInterval,
        timings,
        ...(self === undefined ? {} : { advertise: self }),
        ...(options.lossless === undefined ? {} : { lossless: options.lossless }),
        ...(options.window === undefined ? {} : { window: options.window }),
        ...(options.verifySourceIp === undefined ? {} : { verifySourceIp: options.verifySourceIp }),
        ...(options.maxRegistered === undefined ? {} : { maxRegistered: options.maxRegistered }),
      });
      const server = new RootServer({
        node,
        transport,
        timings,
        clock,
        logger,
        leaderTerm: options.leaderTerm,
      });
      if (httpAddress !== null) {
        admin = await AdminServer.listen(
          httpAddress.host,
          httpAddress.port,
          server.#adminSource(),
          logger,
        );
        server.#admin = admin;
      }
      server.#timers = new RootTimers({
        node,
        clock,
        logger,
        rootTimeout: timings.rootTimeout,
        forgetAfter,
        afterSweep: () => server.#stats.sample(),
      });
      logger.info(
        {
          address: node.address,
          listen: formatAddress(transport.address),
          http: admin?.address ?? null,
          timings,
        },
        'root started',
      );
      return server;
    } catch (error) {
      await admin?.close();
      await transport?.close();
      await store.close().catch(() => {});
      throw error;
    }
  }

  /**
   * The root's address, 'HOST:PORT', as put in its packets and given to peers: `advertise` when
   * given, else the bound {@link listenAddress}.
   */
  get address(): string {
    return this.node.address;
  }

  /** The address the TCP server is bound to, 'HOST:PORT' (the real port when 0 was asked for). */
  get listenAddress(): string {
    return formatAddress(this.#transport.address);
  }

  /** The admin HTTP address 'HOST:PORT', or null when disabled. */
  get httpAddress(): string | null {
    return this.#admin?.address ?? null;
  }

  /** The tree as `/api/topology` shows it. */
  topology(): Topology {
    return topologyOf(this.node, this.#transport);
  }

  /** The counters the dashboard shows: sizes, rates over the last 10 s, drops. */
  stats(): DashboardStats {
    return dashboardStats(this.#stats.read());
  }

  /** Stops accepting, closes every socket and timer, flushes and closes the store. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      this.#timers?.stop();
      this.#metrics.stop();
      this.node.stop();
      await Promise.all([this.#admin?.close(), this.#transport.close()]);
      try {
        await this.node.registry.close();
      } catch (error) {
        this.#logger.error({ err: (error as Error).message }, 'closing the store failed');
      }
      this.#logger.info({ address: this.address }, 'root stopped');
    })();
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #adminSource(): AdminSource {
    return {
      healthy: () => this.#closed === undefined,
      ...(this.#leaderTerm === undefined
        ? {}
        : {
            role: () => ({
              role: this.#closed === undefined ? ('leader' as const) : ('standby' as const),
              term: this.#leaderTerm ?? 0,
            }),
          }),
      metrics: async () => {
        const { registry } = this.#metrics;
        return { contentType: registry.contentType, body: await registry.metrics() };
      },
      topology: () => this.topology(),
      stats: () => this.stats(),
    };
  }

  #createMetrics(): RootMetrics {
    const metrics = createMetrics(() => this.#stats.read());
    const term = this.#leaderTerm;
    if (term !== undefined) addRoleMetrics(metrics.registry, () => ({ role: 'leader', term }));
    return metrics;
  }
}
