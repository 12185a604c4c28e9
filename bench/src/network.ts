import { type AttachedViews, isAttached, RootServer } from '@p2p/root-server';
import { clock, sleep } from './clock.js';
import type { Flood, FloodRun, OriginKind } from './flood.js';
import { type Host, LocalHost, WorkerHost } from './host.js';
import type { BurstResult, HostNotice, Traffic } from './host-protocol.js';
import type { BedLayout } from './hosts-bed.js';
import { TreeMirror } from './mirror.js';
import { type NodeMode, nodeOptions } from './node-mode.js';
import { addSummaries, RunWatch } from './run-watch.js';
import type { TrackSummary } from './tracker.js';

export interface NetworkOptions {
  /** Peers besides the root. */
  size: number;
  /** 0: every peer in this process; k: the peers spread over k worker processes. */
  workers: number;
  /** Version 1 or the lossless extension, and the send window, of every node. */
  mode: NodeMode;
  /** Timing profile of every node (default 'fast'). */
  timings?: 'fast' | 'reference';
  /** The root's store: a SQLite file (for a restart), or ':memory:' (the default). */
  store?: string;
  /**
   * Across a namespace bed (`--hosts`): the root listens on the root host's address (this process
   * runs in that namespace) and worker k runs on host k; `workers` must be the number of hosts.
   */
  bed?: BedLayout;
}

/**
 * A whole tree on this machine: a real root (`RootServer`) in this process and `size` real peers
 * (`Peer`), each with its own TCP server on 127.0.0.1, in this process or spread over worker
 * processes. Tracks every node's view of the tree and the deliveries of benchmark messages.
 */
export class Network implements Flood {
  readonly options: NetworkOptions;
  #root: RootServer;
  readonly local: LocalHost;
  readonly hosts: Host[];
  readonly mirror = new TreeMirror();
  /** Peer addresses in the order their hosts reported them. */
  readonly peers: string[] = [];
  readonly #hostOf = new Map<string, Host>();
  readonly #retired = new Set<Host>();
  #watch: RunWatch | undefined;
  #runs = 0;
  #rootChangeAt = 0;
  #closed: Promise<void> | undefined;

  private constructor(options: NetworkOptions, root: RootServer, local: LocalHost) {
    this.options = options;
    this.#root = root;
    this.local = local;
    this.hosts = [local];
    this.#hostOf.set(root.address, local);
    this.#watchRoot(root);
  }

  /** The root (a new one after {@link restartRoot}). */
  get root(): RootServer {
    return this.#root;
  }

  #watchRoot(root: RootServer): void {
    for (const event of ['placed', 'turned-off', 'node-registered'] as const) {
      root.on(event, () => {
        this.#rootChangeAt = clock();
        this.mirror.onChange();
      });
    }
  }

  /**
   * Stops the root (as Ctrl-C does) and starts a new one on the same address and store after
   * `downMs`; resolves with the new root and its start time. The root stays one of the main
   * process's nodes for the tree mirror, but broadcasts from it are not possible after this.
   */
  async restartRoot(downMs: number): Promise<{ root: RootServer; startedAt: number }> {
    const { address } = this.#root;
    await this.#root.close();
    await sleep(downMs);
    const startedAt = clock();
    const root = await RootServer.start({
      listen: address,
      http: null,
      store: this.options.store ?? ':memory:',
      timings: this.options.timings ?? 'fast',
      ...nodeOptions(this.options.mode),
    });
    this.#root = root;
    this.#watchRoot(root);
    return { root, startedAt };
  }

  /** Starts the root and the worker processes (ready, no peers yet). */
  static async create(options: NetworkOptions): Promise<Network> {
    const root = await RootServer.start({
      listen: `${options.bed?.root.address ?? '127.0.0.1'}:0`,
      http: null,
      store: options.store ?? ':memory:',
      timings: options.timings ?? 'fast',
      ...nodeOptions(options.mode),
    });
    const route: { to?: (notice: HostNotice) => void } = {};
    const local = new LocalHost(
      0,
      (_host, notice) => route.to?.(notice),
      options.bed?.root.address,
    );
    const network = new Network(options, root, local);
    route.to = (notice) => network.#onNotice(notice);
    local.addRoot(root);
    try {
      for (let i = 1; i <= options.workers; i++) await network.addWorker();
    } catch (error) {
      await network.close();
      throw error;
    }
    return network;
  }

  /** Forks one more worker process (ready, no peers yet). */
  async addWorker(): Promise<WorkerHost> {
    const host = await WorkerHost.start(
      this.hosts.length,
      (_id, notice) => this.#onNotice(notice),
      this.options.bed?.hosts[this.hosts.length - 1],
    );
    this.hosts.push(host);
    return host;
  }

  /** The hosts that run peers: this process alone, or the workers. */
  get peerHosts(): Host[] {
    return this.options.workers === 0
      ? [this.local]
      : this.hosts.slice(1, 1 + this.options.workers);
  }

  hostOf(address: string): Host {
    const host = this.#hostOf.get(address);
    if (host === undefined) throw new Error(`unknown node ${address}`);
    return host;
  }

  /** Starts `count` peers on `host` at once; resolves with their addresses. */
  async startPeers(host: Host, count: number): Promise<string[]> {
    if (count <= 0) return [];
    const addresses = await host.request<string[]>({
      op: 'start',
      options: {
        root: this.root.address,
        host: host.listenHost,
        count,
        mode: this.options.mode,
        timings: this.options.timings ?? 'fast',
      },
    });
    for (const address of addresses) this.#hostOf.set(address, host);
    this.peers.push(...addresses);
    return addresses;
  }

  /** Starts `count` peers spread evenly over the peer hosts, all at once. */
  async startSpread(count: number): Promise<string[]> {
    const hosts = this.peerHosts;
    const shares = hosts.map((_, i) => Math.floor((count + i) / hosts.length));
    const started = await Promise.all(
      hosts.map((host, i) => this.startPeers(host, shares[i] ?? 0)),
    );
    return started.flat();
  }

  /**
   * True when each of `peers` is registered, has a parent that counts it as a child, and the
   * root's graph holds it alive under that same parent.
   */
  attached(peers: readonly string[]): boolean {
    const graph = this.root.node.registry.graph;
    const root = this.root.address;
    const views: AttachedViews = {
      nodeAt: (address) => this.mirror.nodeAt(address),
      placementOf: (address) =>
        address === root
          ? undefined
          : { parent: graph.parentOf(address), alive: graph.isAlive(address) },
    };
    return peers.every((peer) => this.mirror.registered(peer) && isAttached(peer, views));
  }

  /**
   * Resolves with the clock time of the change that made `check` true (re-checked on every state
   * change and every 20 ms); rejects after `timeoutMs`.
   */
  until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      let scheduled: NodeJS.Immediate | undefined;
      const test = (): void => {
        scheduled = undefined;
        if (!check()) return;
        done();
        resolve(Math.max(this.mirror.lastAt, this.#rootChangeAt));
      };
      const poll = setInterval(test, 20);
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearInterval(poll);
        clearTimeout(timer);
        if (scheduled !== undefined) clearImmediate(scheduled);
        this.mirror.onChange = () => {};
      };
      this.mirror.onChange = () => {
        scheduled ??= setImmediate(test);
      };
      test();
    });
  }

  /** The root, or the last-placed peer at the greatest depth of the root's graph. */
  origin(kind: OriginKind): string {
    if (kind === 'root') return this.root.address;
    const graph = this.root.node.registry.graph;
    let deepest = this.root.address;
    let depth = 0;
    for (const peer of this.peers) {
      const d = graph.depthOf(peer) ?? -1;
      if (d >= depth) {
        depth = d;
        deepest = peer;
      }
    }
    return deepest;
  }

  /** Leaves a host out of later runs (its process is about to be killed or stopped). */
  retire(host: Host): void {
    this.#retired.add(host);
  }

  /** Prepares a run: every host counts the deliveries of its nodes. */
  async begin(origin: string, messages: number): Promise<FloodRun> {
    const run = ++this.#runs;
    const spec = { run, messages, origin };
    const hosts = this.hosts.filter((host) => !this.#retired.has(host));
    const receivers = await Promise.all(
      hosts.map((host) => host.request<number>({ op: 'track', spec })),
    );
    const active = hosts.filter((_, i) => (receivers[i] ?? 0) > 0);
    const watch = new RunWatch(run, messages, active.length);
    this.#watch = watch;
    const originHost = this.hostOf(origin);
    return {
      watch,
      send: (seq) => originHost.request<number>({ op: 'broadcast', origin, run, seq }),
      burst: (outstanding) =>
        originHost.request<BurstResult>({ op: 'burst', origin, run, messages, outstanding }),
      summary: async (): Promise<TrackSummary> =>
        addSummaries(
          await Promise.all(active.map((host) => host.request<TrackSummary>({ op: 'summary' }))),
        ),
    };
  }

  async traffic(): Promise<Traffic> {
    const hosts = this.hosts.filter((host) => !this.#retired.has(host));
    const total: Traffic = {};
    for (const traffic of await Promise.all(
      hosts.map((h) => h.request<Traffic>({ op: 'traffic' })),
    ))
      for (const [kind, n] of Object.entries(traffic)) total[kind] = (total[kind] ?? 0) + n;
    return total;
  }

  /** Closes every peer, the root and the workers. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled(this.hosts.map((host) => host.close()));
      await sleep(0);
    })();
    return this.#closed;
  }

  #onNotice(notice: HostNotice): void {
    if (notice.notice === 'state') {
      this.mirror.apply(notice.events);
    } else if (notice.run === this.#watch?.run) {
      this.#watch.complete(notice.seqs, notice.ats);
    }
  }
}
