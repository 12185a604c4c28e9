import { EventEmitter } from 'node:events';
import { type Address, type Framing, formatAddress, parseAddress } from '@p2p/codec';
import {
  type Clock,
  resolveTimings,
  systemClock,
  type TimerHandle,
  type TimingProfile,
  type Timings,
} from '@p2p/peer';
import { type Logger, StreamNode, type StreamNodeOptions, silentLogger } from '@p2p/stream';
import { RootError } from './errors.js';
import { AdminServer, type AdminSource } from './http/admin-server.js';
import { addRoleMetrics, createMetrics, type RootMetrics } from './metrics.js';
import { RateMeter } from './rate-meter.js';
import { Registry } from './registry/registry.js';
import { RootNode, type RootNodeEvents } from './root-node.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';

export interface RootServerOptions {
  /** The root's TCP address, 'HOST:PORT' (port 0: the OS picks). */
  listen: string | Address;
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
  /** Check that Register/Advertise come from the IP they claim (default: unless listening on loopback). */
  verifySourceIp?: boolean;
  /** Most registered nodes (default 100,000). */
  maxRegistered?: number;
  /** Refuse Joins the root did not arrange (default false). */
  refuseUnplacedJoins?: boolean;
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

/** One node of `/api/topology` (docs/architecture.md), with a few extra fields the dashboard shows. */
export interface TopologyNode {
  address: string;
  parent: string | null;
  alive: boolean;
  lastSeen: string;
  depth: number | null;
  children: string[];
  framing: Framing;
}

/** The dashboard's counters (`/api/stats`). */
export interface DashboardStats {
  registered: number;
  alive: number;
  depth: number;
  messagesPerSecond: number;
  hellosPerSecond: number;
  drops: number;
}

export interface Topology {
  root: string;
  nodes: TopologyNode[];
}

const wallClock: Clock = { ...systemClock, now: () => Date.now() };

/**
 * The root as a service (docs/architecture.md): the root node on its TCP server, the registry and its store,
 * the sweep, and the admin HTTP server. Events are those of the root node.
 */
export class RootServer extends EventEmitter<RootNodeEvents> {
  readonly node: RootNode;
  readonly timings: Timings;
  readonly #transport: StreamNode;
  #admin: AdminServer | undefined;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #helloRate: RateMeter;
  readonly #messageRate: RateMeter;
  readonly #leaderTerm: number | undefined;
  #sweepTimer: TimerHandle | undefined;
  #flushTimer: TimerHandle | undefined;
  #forgetTimer: TimerHandle | undefined;
  readonly #forgetAfter: number;
  readonly #metrics: RootMetrics;
  #closed: Promise<void> | undefined;

  private constructor(parts: {
    node: RootNode;
    transport: StreamNode;
    timings: Timings;
    clock: Clock;
    logger: Logger;
    helloRate: RateMeter;
    leaderTerm: number | undefined;
    forgetAfter: number;
  }) {
    super();
    this.#leaderTerm = parts.leaderTerm;
    this.node = parts.node;
    this.#transport = parts.transport;
    this.timings = parts.timings;
    this.#clock = parts.clock;
    this.#logger = parts.logger;
    this.#helloRate = parts.helloRate;
    this.#messageRate = new RateMeter(parts.clock);
    this.#forgetAfter = parts.forgetAfter;
    // Created now, not at the first scrape: process metrics count from here (CPU from the start).
    this.#metrics = this.#createMetrics();
    // The dashboard hears of every change of the tree (coalesced by the event stream).
    for (const event of [
      'node-registered',
      'placed',
      'turned-off',
      'reattached',
      'neighbour-added',
      'neighbour-removed',
      'forgotten',
    ] as const) {
      (this.node as EventEmitter).on(event, () => this.#admin?.events.notify('topology'));
    }
    for (const event of [
      'message',
      'node-registered',
      'placed',
      'turned-off',
      'reattached',
      'neighbour-added',
      'neighbour-removed',
      'dropped',
      'forgotten',
    ] as const) {
      (this.node as EventEmitter).on(event, (payload: unknown) =>
        (this as EventEmitter).emit(event, payload),
      );
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
    const forgetAfter = options.forgetAfter ?? DEFAULT_FORGET_AFTER;
    if (!(forgetAfter > 0))
      throw new RootError(
        'ERR_ROOT_INVALID_OPTION',
        `forgetAfter must be a positive number of ms, not ${forgetAfter}`,
      );

    const store =
      typeof options.store === 'object' ? options.store : openStore(options.store ?? ':memory:');
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
      const registry = new Registry({ root: formatAddress(transport.address), store });
      const now = clock.now();
      const report = registry.restore(
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
        ...(options.window === undefined ? {} : { window: options.window }),
        ...(options.verifySourceIp === undefined ? {} : { verifySourceIp: options.verifySourceIp }),
        ...(options.maxRegistered === undefined ? {} : { maxRegistered: options.maxRegistered }),
        ...(options.refuseUnplacedJoins === undefined
          ? {}
          : { refuseUnplacedJoins: options.refuseUnplacedJoins }),
      });
      const server = new RootServer({
        node,
        transport,
        timings,
        clock,
        logger,
        helloRate: new RateMeter(clock),
        leaderTerm: options.leaderTerm,
        forgetAfter,
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
      server.#scheduleSweep();
      server.#scheduleFlush();
      server.#scheduleForget();
      logger.info({ address: node.address, http: admin?.address ?? null, timings }, 'root started');
      return server;
    } catch (error) {
      await admin?.close();
      await transport?.close();
      store.close();
      throw error;
    }
  }

  /** The root's TCP address, 'HOST:PORT'. */
  get address(): string {
    return this.node.address;
  }

  /** The admin HTTP address 'HOST:PORT', or null when disabled. */
  get httpAddress(): string | null {
    return this.#admin?.address ?? null;
  }

  /** The tree as `/api/topology` shows it. */
  topology(): Topology {
    const graph = this.node.registry.graph;
    return {
      root: this.address,
      nodes: this.node.registry.topology().map((view) => ({
        address: view.address,
        parent: view.parent,
        alive: view.alive,
        lastSeen: new Date(view.lastSeen).toISOString(),
        depth: graph.depthOf(view.address) ?? null,
        children: graph.childrenOf(view.address),
        framing: this.#transport.framingFor(view.address),
      })),
    };
  }

  /** The counters the dashboard shows: sizes, rates over the last 10 s, drops. */
  stats(): DashboardStats {
    const graph = this.node.registry.graph;
    const counters = this.node.counters;
    const messages = counters.messagesDelivered + counters.messagesOriginated;
    return {
      registered: graph.size,
      alive: graph.aliveCount,
      depth: graph.maxDepth,
      messagesPerSecond: this.#messageRate.perSecond(messages),
      hellosPerSecond: this.#helloRate.perSecond(this.node.rootCounters.hellos),
      drops: Object.values(counters.dropped).reduce((a, b) => a + b, 0),
    };
  }

  /** Stops accepting, closes every socket and timer, flushes and closes the store. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      if (this.#sweepTimer !== undefined) this.#clock.clearTimeout(this.#sweepTimer);
      if (this.#flushTimer !== undefined) this.#clock.clearTimeout(this.#flushTimer);
      if (this.#forgetTimer !== undefined) this.#clock.clearTimeout(this.#forgetTimer);
      this.#metrics.stop();
      this.node.stop();
      await Promise.all([this.#admin?.close(), this.#transport.close()]);
      try {
        this.node.registry.close();
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
    const metrics = createMetrics(() => {
      const graph = this.node.registry.graph;
      const counters = this.node.rootCounters;
      return {
        registered: graph.size,
        alive: graph.aliveCount,
        depth: graph.maxDepth,
        placements: counters.placements,
        hellos: counters.hellos,
        hellosPerSecond: this.#helloRate.perSecond(counters.hellos),
        turnedOff: counters.turnedOff,
        forgotten: counters.forgotten,
        counters: this.node.counters,
      };
    });
    const term = this.#leaderTerm;
    if (term !== undefined) addRoleMetrics(metrics.registry, () => ({ role: 'leader', term }));
    return metrics;
  }

  #scheduleSweep(): void {
    // Often enough that a silent node is turned off within a few percent of the root timeout.
    const every = Math.max(10, Math.min(1_000, this.timings.rootTimeout / 8));
    this.#sweepTimer = this.#clock.setTimeout(() => {
      try {
        this.node.sweep(this.timings.rootTimeout);
      } catch (error) {
        this.#logger.error({ err: (error as Error).message }, 'sweep failed');
      }
      this.#helloRate.sample(this.node.rootCounters.hellos);
      this.#messageRate.sample(
        this.node.counters.messagesDelivered + this.node.counters.messagesOriginated,
      );
      this.#scheduleSweep();
    }, every);
  }

  #scheduleForget(): void {
    if (this.#forgetAfter === Number.POSITIVE_INFINITY) return;
    // Each pass reads every registration: a tenth of the forget time, at most once a minute.
    const every = Math.max(10, Math.min(60_000, this.#forgetAfter / 10));
    this.#forgetTimer = this.#clock.setTimeout(() => {
      try {
        this.node.forgetSilent(this.#forgetAfter);
      } catch (error) {
        this.#logger.error({ err: (error as Error).message }, 'forgetting registrations failed');
      }
      this.#scheduleForget();
    }, every);
  }

  #scheduleFlush(): void {
    this.#flushTimer = this.#clock.setTimeout(() => {
      try {
        this.node.registry.flush();
      } catch (error) {
        this.#logger.error(
          { err: (error as Error).message },
          'writing liveness to the store failed',
        );
      }
      this.#scheduleFlush();
    }, 5_000);
  }
}
