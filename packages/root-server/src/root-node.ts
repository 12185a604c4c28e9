import { EventEmitter } from 'node:events';
import { type Address, formatAddress, isLoopbackHost, type Packet, parseAddress } from '@p2p/codec';
import {
  type BroadcastResult,
  type Clock,
  type LosslessStats,
  type NodeCounters,
  SourceCheck,
  TreeCore,
} from '@p2p/peer';
import { type Logger, silentLogger } from '@p2p/stream';
import { isStoreError, RootError } from './errors.js';
import type { Registry } from './registry/registry.js';
import { RootChildren } from './root-children.js';
import type {
  RootCounters,
  RootNodeEvents,
  RootNodeOptions,
  TurnOffCause,
} from './root-options.js';
import { RootSilence } from './root-silence.js';

export type {
  RootCounters,
  RootNodeEvents,
  RootNodeOptions,
  TurnOffCause,
} from './root-options.js';

/**
 * The root role (protocol.md 5.2, 5.3, 5.6) composed with the tree core: answers Register and
 * Advertise from the registry, answers Reunion hellos and keeps liveness, and turns nodes off.
 * It floods Messages like any node, as the top of the tree; its children are the registry graph's
 * children of the root.
 */
export class RootNode extends EventEmitter<RootNodeEvents> {
  readonly registry: Registry;
  readonly rootCounters: RootCounters = {
    registrations: 0,
    placements: 0,
    kept: 0,
    hellos: 0,
    reattached: 0,
    turnedOff: { timeout: 0, unreachable: 0 },
    forgotten: 0,
  };
  readonly #core: TreeCore;
  readonly #children: RootChildren;
  readonly #clock: Clock;
  readonly #logger: Logger;
  /**
   * With the check on, every packet is taken only from the IP its hop source claims: a packet's
   * source is all the root knows of who sent it. A hello proves its path and re-attaches
   * turned-off nodes (5.6.3); an offer or a Digest makes an edge lossless (10.1.2, 10.1.5), so one
   * in the name of a version-1 child has the root send it what it cannot read; a Message in a
   * child's name is delivered and flooded, and a plain one turns a lossless edge to version 1. An
   * offer it would refuse is not answered: the prober then settles on version 1.
   */
  readonly #sourceCheck: SourceCheck | undefined;
  readonly #maxRegistered: number;
  readonly #rootTimeout: number | undefined;
  readonly #helloInterval: number;
  /** Set when the root knows its root timeout: it then notices when it hears nobody. */
  readonly #silence: RootSilence | undefined;

  constructor(options: RootNodeOptions) {
    super();
    this.registry = options.registry;
    this.#clock = options.clock;
    this.#logger = options.logger ?? silentLogger;
    this.#children = new RootChildren(options.registry, this);
    this.#core = new TreeCore({
      ...options,
      events: this,
      neighbours: this.#children,
      // The root never starts fresh: its children hand it what they hold (10.1.5).
      fresh: false,
      role: {
        admit: (packet, from, remote) => this.#sourceCheck?.admit(packet, from, remote),
        answersOffer: (offer, remote) => this.#sourceCheck?.answersOffer(offer, remote) ?? true,
        control: (packet, from) => this.#onControl(packet, from),
        answerHello: (path, packet, from) => this.#onHello(path, packet, from),
        unreachable: (remote, error) => this.#onUnreachable(remote, error),
      },
    });
    if (this.registry.root !== this.#core.address) {
      // The registry names the root's children's parent; the root names itself in its packets:
      // a node placed under the root must be told the name it answers by.
      throw new RootError(
        'ERR_ROOT_INVALID_OPTION',
        `the registry's root ${this.registry.root} is not the root's address ${this.#core.address}; ` +
          'create the registry with the advertised address, if any, else the listening one',
      );
    }
    // Once a minute per connection host at most, the refusals logged: a misconfigured child has
    // every packet refused.
    this.#sourceCheck =
      (options.verifySourceIp ?? !isLoopbackHost(options.transport.address.host))
        ? new SourceCheck({ packets: 'every', clock: this.#clock, logger: this.#logger })
        : undefined;
    this.#maxRegistered = options.maxRegistered ?? 100_000;
    this.#rootTimeout = options.rootTimeout;
    this.#helloInterval = options.helloInterval ?? 0;
    this.#silence =
      this.#rootTimeout === undefined ? undefined : new RootSilence(this.#rootTimeout);
  }

  /** True while the root hears nothing from any node with nodes in its tree: it is cut off (5.6.5). */
  get cutOff(): boolean {
    return this.#silence?.cutOff(this.#clock.now(), this.registry.graph.aliveCount) === true;
  }

  /** Cut off, or back for less than a root timeout: the tree is held as it was (5.6.5). */
  get #holding(): boolean {
    return this.#silence?.holding(this.#clock.now(), this.registry.graph.aliveCount) === true;
  }

  /**
   * The root's address, 'HOST:PORT', as put in its packets: `advertise` when given, else the one
   * it listens on.
   */
  get address(): string {
    return this.#core.address;
  }

  /**
   * The origin of the root's own Messages, 'HOST:PORT' (10.1.3): its address, or listening on
   * 0.0.0.0 with no `advertise`, this machine's first external IPv4 address (else 127.0.0.1) with
   * its port.
   */
  get origin(): string {
    return formatAddress(this.#core.origin);
  }

  /** The node counters of the core: messages, hellos relayed, drops by reason, packets by kind. */
  get counters(): NodeCounters {
    return this.#core.counters;
  }

  /** The lossless extension's counters, cache and edges, or null when it is turned off. */
  get losslessStats(): LosslessStats | null {
    return this.#core.losslessStats;
  }

  /** Always null: the root is the top of the tree. */
  get parent(): null {
    return null;
  }

  /** The root's children: the nodes the registry graph places under it. */
  get children(): string[] {
    return this.#core.children;
  }

  /** The root's neighbours: its children. */
  get neighbours(): string[] {
    return this.#core.neighbourList;
  }

  isNeighbour(address: string): boolean {
    return this.#core.isNeighbour(address);
  }

  /** The largest Message text, in UTF-8 bytes, `broadcast` accepts. */
  get maxMessageBytes(): number {
    return this.#core.maxMessageBytes;
  }

  /** Originates a Message to every child (see `Peer.broadcast`). */
  broadcast(text: string): Promise<BroadcastResult> {
    return this.#core.broadcast(text);
  }

  /** Throws what `broadcast(text)` would refuse the text with, if anything. */
  checkMessage(text: string): void {
    this.#core.checkMessage(text);
  }

  /** Turns off every node not heard from within `rootTimeout` (5.6.5). */
  sweep(rootTimeout: number): string[] {
    // A root that hears nobody is cut off: the silence is its own (5.6.5).
    if (this.#holding) return [];
    const off = this.#children.change('timed out', () =>
      this.registry.sweep(this.#clock.now(), rootTimeout),
    );
    this.#turnedOff(off, 'timeout');
    return off;
  }

  /**
   * Forgets the registrations of nodes out of the tree and not heard from for more than
   * `forgetAfter` ms (see `Registry.forget`); returns their keys.
   */
  forgetSilent(forgetAfter: number): string[] {
    const forgotten = this.registry.forget(this.#clock.now(), forgetAfter);
    if (forgotten.length > 0) {
      this.rootCounters.forgotten += forgotten.length;
      this.#logger.info(
        { nodes: forgotten.length, first: forgotten[0], forgetAfter },
        'registrations forgotten',
      );
      this.emit('forgotten', { addresses: forgotten });
    }
    return forgotten;
  }

  /** Stops listening to the transport (the server closes it). */
  stop(): void {
    this.#core.close();
  }

  #onControl(packet: Packet, from: string): void {
    if (packet.kind !== 'register-request' && packet.kind !== 'advertise-request') {
      this.#core.drop('unexpected-kind', packet, from);
      return;
    }
    this.#heard(false);
    // Answered once the store has what the answer promises; other packets are handled meanwhile.
    const answered =
      packet.kind === 'register-request'
        ? this.#onRegister(packet.address, packet, from)
        : this.#onAdvertise(packet, from);
    answered.catch((error: unknown) => {
      if (!isStoreError(error)) throw error;
      // Left unanswered (no RESACK for a registration that is not durable): the node asks again,
      // and by then the store may be back. The root itself carries on.
      this.#logger.error(
        { node: from, code: error.code, err: error.message },
        `${packet.kind === 'register-request' ? 'Register' : 'Advertise'} not answered: the store failed`,
      );
      this.#core.drop('store-failed', packet, from);
    });
  }

  /** The top of the tree answers a hello instead of relaying it (5.6.3). */
  #onHello(path: readonly Address[], packet: Packet, from: string): void {
    this.#heard(true);
    const keys = path.map(formatAddress);
    const last = keys[keys.length - 1];
    if (last !== from) {
      this.#core.drop('forged-path', packet, from);
      return;
    }
    // The path must be the tree as the root knows it: each entry the child of the next, the last a
    // child of the root. Where the root lost nodes of it (turned off, detached), the hello proves
    // them and they are re-attached as it says; a node the root moved elsewhere since, or a path
    // that breaks the tree rules, gets no answer, so its originator re-advertises.
    const now = this.#clock.now();
    if (!this.registry.confirmHello(keys, now)) {
      const repaired = this.#children.change('moved', () => this.registry.repairHello(keys, now));
      if (repaired === undefined || !this.registry.confirmHello(keys, now)) {
        this.#core.drop('stale-path', packet, from);
        return;
      }
      this.rootCounters.reattached += repaired.length;
      this.#logger.info({ path: keys, reattached: repaired.length }, 'hello path re-attached');
      this.emit('reattached', { addresses: repaired, through: keys[0] as string });
    }
    this.rootCounters.hellos++;
    void this.#core.send(from, {
      kind: 'reunion-hello-back',
      source: this.#core.self,
      path: [...path].reverse(),
    });
  }

  /**
   * The root's connection to a node failed (its children carry hello backs, every registered
   * node got Register and Advertise responses over one): a crashed process closes it at once.
   * That node alone leaves (5.6.5); its children re-advertise carrying their subtrees, which
   * wait detached meanwhile.
   */
  #onUnreachable(remote: string, error: Error & { code?: string }): void {
    const graph = this.registry.graph;
    if (!graph.isAlive(remote) && !graph.isDetached(remote)) return;
    const timedOut =
      error.code === 'ERR_STREAM_ACK_TIMEOUT' || error.code === 'ERR_STREAM_CONNECT_TIMEOUT';
    if (this.#silence?.explains(this.#clock.now(), graph.aliveCount, timedOut)) {
      // The root's own cut explains it; the sweep turns the node off if it stays silent.
      this.#logger.info({ node: remote, code: error.code }, 'node unreachable while cut off: kept');
      return;
    }
    this.#logger.info({ node: remote, code: error.code }, 'node unreachable: turning it off');
    const off = this.#children.change('unreachable', () =>
      this.registry.fail(remote, this.#clock.now()),
    );
    this.#turnedOff(off, 'unreachable');
  }

  async #onRegister(address: Address, packet: Packet, from: string): Promise<void> {
    if (formatAddress(address) !== from) {
      this.#core.drop('address-mismatch', packet, from);
      return;
    }
    const registered = this.registry.graph.size + this.registry.registering;
    if (!this.registry.isRegistered(from) && registered >= this.#maxRegistered) {
      this.#logger.warn(
        { node: from, limit: this.#maxRegistered },
        'registration refused: the registry is full',
      );
      this.#core.drop('registry-full', packet, from);
      return;
    }
    if (await this.registry.register(from, this.#clock.now())) {
      this.rootCounters.registrations++;
      this.#logger.info({ node: from }, 'node registered');
      this.emit('node-registered', { address: from });
    }
    void this.#core.send(from, { kind: 'register-response', source: this.#core.self });
  }

  async #onAdvertise(packet: Packet, from: string): Promise<void> {
    // O(1) when nothing expired. A subtree that went silent would otherwise be turned off piece by
    // piece at the sweep, and a node placed under one of its members in between waits a second
    // peer timeout.
    if (this.#rootTimeout !== undefined && this.registry.isRegistered(from))
      this.sweep(this.#rootTimeout);
    const before = this.registry.graph.parentOf(from);
    // A node not heard from for a quarter of the root timeout (2.25 hello intervals at the
    // reference proportions: 9 s of 36 s) is believed dead: newcomers are not placed under it,
    // and a child re-advertising from under it goes elsewhere. (Its children leave a silent
    // parent after 10 s – the transport's ACK timeout – or half the peer timeout, whichever is
    // first: by then it is believed dead.) Never less than two hello intervals, so that a root
    // with a short root timeout does not believe nodes dead between two of their hellos (the
    // reference's come every 4 s and more). A node whose connection failed is already off.
    // A root that hears nobody believes nobody dead: the silence is its own.
    const staleAfter = this.#holding ? undefined : this.#staleAfter();
    // A node placed under the root is its child from now on; one moved away leaves its children.
    const parent = this.#children.change('moved', () =>
      this.registry.advertise(
        from,
        this.#clock.now(),
        staleAfter === undefined ? {} : { staleAfter },
      ),
    );
    if (parent === undefined) {
      this.#core.drop('not-registered', packet, from);
      return;
    }
    // The placement is in the store before the node hears of it.
    await this.registry.persisted();
    if (parent === before) {
      // Sent back under the parent it has (5.3.2): no new position.
      this.rootCounters.kept++;
      this.emit('kept', { address: from, parent });
    } else {
      this.rootCounters.placements++;
      this.#logger.debug({ node: from, parent, previous: before }, 'node placed');
      this.emit('placed', { address: from, parent });
    }
    void this.#core.send(from, {
      kind: 'advertise-response',
      source: this.#core.self,
      // Under the root: the root as this node reaches it (listening on 0.0.0.0, the address it dialled).
      parent: parent === this.address ? this.#core.sourceFor(from) : parseAddress(parent),
    });
  }

  /**
   * A node not heard from for a quarter of the root timeout (2.25 hello intervals at the
   * reference proportions: 9 s of 36 s) is believed dead, never within two hello intervals.
   */
  #staleAfter(): number | undefined {
    return this.#rootTimeout === undefined
      ? undefined
      : Math.max(this.#rootTimeout / 4, 2 * this.#helloInterval);
  }

  /** A node was heard from: a cut, if any, is over (5.6.5). */
  #heard(hello: boolean): void {
    const now = this.#clock.now();
    const alive = this.registry.graph.aliveCount;
    if (this.#silence?.cutOff(now, alive) === true)
      this.#logger.warn({ alive }, 'heard a node again after hearing nobody: the tree is kept');
    this.#silence?.heard(now, alive, hello);
  }

  /** Counts, logs and reports nodes the registry turned off. */
  #turnedOff(addresses: string[], cause: TurnOffCause): void {
    if (addresses.length === 0) return;
    this.rootCounters.turnedOff[cause] += addresses.length;
    this.#logger.info(
      { node: addresses[0], subtree: addresses.length - 1, cause },
      'node turned off',
    );
    this.emit('turned-off', { addresses, cause });
  }
}
