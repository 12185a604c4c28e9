import {
  type Address,
  formatAddress,
  isLoopbackHost,
  type Packet,
  parseAddress,
  plainHost,
} from '@p2p/codec';
import {
  type Clock,
  type RemoteSocket,
  TreeNode,
  type TreeNodeEvents,
  type TreeNodeOptions,
} from '@p2p/peer';
import { isStoreError } from './errors.js';
import type { Registry } from './registry/registry.js';

/** Why the root turned nodes off. */
export type TurnOffCause = 'timeout' | 'unreachable';

export type RootNodeEvents = TreeNodeEvents & {
  /** A node registered for the first time. */
  'node-registered': [{ address: string }];
  /** A node was placed under `parent` (Advertise answered). */
  placed: [{ address: string; parent: string }];
  /**
   * Nodes left the tree: the first is the one that failed (alone, when its children's subtrees
   * were detached to re-attach), the rest a subtree turned off with it.
   */
  'turned-off': [{ addresses: string[]; cause: TurnOffCause }];
  /** A hello proved a path the root had lost: these nodes are back in the tree as it says. */
  reattached: [{ addresses: string[]; through: string }];
  /** Registrations forgotten: out of the tree and silent for longer than the forget time. */
  forgotten: [{ addresses: string[] }];
};

export interface RootNodeOptions extends TreeNodeOptions {
  registry: Registry;
  clock: Clock;
  /**
   * Accept Register and Advertise only when the address they claim has the IP of the connection
   * they came over (anti-spoofing). Default: on unless the root listens on loopback.
   */
  verifySourceIp?: boolean;
  /** Registrations beyond this many are refused (dropped, counted, logged). Default 100,000. */
  maxRegistered?: number;
  /** Refuse a Join from a node the root did not place under itself. Default false (protocol.md 5.4). */
  refuseUnplacedJoins?: boolean;
  /**
   * The root timeout (ms): when given, nodes not heard from within it are turned off before each
   * placement too, not only at the service's periodic sweep, and a node not heard from for a
   * quarter of it (and at least two hello intervals) is believed dead: nobody is placed under it.
   */
  rootTimeout?: number;
  /** The network's hello interval (ms): a node is never believed dead within two of them. */
  helloInterval?: number;
}

/** Counters of the root role, beside the node counters of the core. */
export interface RootCounters {
  registrations: number;
  placements: number;
  hellos: number;
  /** Nodes put back in the tree by a hello that proved their path. */
  reattached: number;
  turnedOff: Record<TurnOffCause, number>;
  /** Registrations forgotten after a long silence. */
  forgotten: number;
}

/**
 * The root role (protocol.md 5.2, 5.3, 5.6) on the tree node core: answers Register and
 * Advertise from the registry, answers Reunion hellos and keeps liveness, and turns nodes off.
 * It floods Messages like any node, as the top of the tree.
 */
export class RootNode extends TreeNode<RootNodeEvents> {
  readonly registry: Registry;
  readonly rootCounters: RootCounters = {
    registrations: 0,
    placements: 0,
    hellos: 0,
    reattached: 0,
    turnedOff: { timeout: 0, unreachable: 0 },
    forgotten: 0,
  };
  readonly #clock: Clock;
  readonly #verifySourceIp: boolean;
  readonly #maxRegistered: number;
  readonly #rootTimeout: number | undefined;
  readonly #helloInterval: number;

  constructor(options: RootNodeOptions) {
    const self: { node?: RootNode } = {};
    super({
      ...options,
      acceptJoin: options.refuseUnplacedJoins
        ? (from) =>
            self.node !== undefined && self.node.registry.graph.parentOf(from) === self.node.address
        : options.acceptJoin,
    });
    self.node = this;
    this.registry = options.registry;
    this.#clock = options.clock;
    this.#verifySourceIp = options.verifySourceIp ?? !isLoopbackHost(this.self.host);
    this.#maxRegistered = options.maxRegistered ?? 100_000;
    this.#rootTimeout = options.rootTimeout;
    this.#helloInterval = options.helloInterval ?? 0;
    // After a restart the root's children are known from the store, not from new Joins.
    for (const child of this.registry.graph.childrenOf(this.address)) this.addChild(child);
  }

  /** Turns off every node not heard from within `rootTimeout` (5.6.5). */
  sweep(rootTimeout: number): string[] {
    const off = this.registry.sweep(this.#clock.now(), rootTimeout);
    this.#forget(off, 'timeout');
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
      this.logger.info(
        { nodes: forgotten.length, first: forgotten[0], forgetAfter },
        'registrations forgotten',
      );
      this.emit('forgotten', { addresses: forgotten });
    }
    return forgotten;
  }

  /**
   * Hellos are checked like Register and Advertise: a hello proves its path and re-attaches
   * turned-off nodes (5.6.3), so one sent in another machine's name could put nodes back into the
   * tree that are gone, and keep dead ones counted alive.
   */
  protected override handle(packet: Packet, from: string, remote: RemoteSocket): void {
    if (packet.kind === 'reunion-hello' && this.#spoofed(packet, from, remote)) return;
    super.handle(packet, from, remote);
  }

  protected override onControl(packet: Packet, from: string, remote: RemoteSocket): void {
    const claimsNode = packet.kind === 'register-request' || packet.kind === 'advertise-request';
    if (claimsNode && this.#spoofed(packet, from, remote)) return;
    if (!claimsNode) {
      super.onControl(packet, from, remote);
      return;
    }
    try {
      if (packet.kind === 'register-request') this.#onRegister(packet.address, packet, from);
      else this.#onAdvertise(packet, from);
    } catch (error) {
      if (!isStoreError(error)) throw error;
      // Left unanswered (no RESACK for a registration that is not durable): the node asks again,
      // and by then the store may be back. The root itself carries on.
      this.logger.error(
        { node: from, code: error.code, err: error.message },
        `${packet.kind === 'register-request' ? 'Register' : 'Advertise'} not answered: the store failed`,
      );
      this.drop('store-failed', packet, from);
    }
  }

  /** The top of the tree answers a hello instead of relaying it (5.6.3). */
  protected override onHello(path: readonly Address[], packet: Packet, from: string): void {
    const keys = path.map(formatAddress);
    const last = keys[keys.length - 1];
    if (last !== from) {
      this.drop('forged-path', packet, from);
      return;
    }
    // The path must be the tree as the root knows it: each entry the child of the next, the last a
    // child of the root. Where the root lost nodes of it (turned off, detached), the hello proves
    // them and they are re-attached as it says; a node the root moved elsewhere since, or a path
    // that breaks the tree rules, gets no answer, so its originator re-advertises.
    const now = this.#clock.now();
    if (!this.registry.confirmHello(keys, now)) {
      const repaired = this.registry.repairHello(keys, now);
      if (repaired === undefined || !this.registry.confirmHello(keys, now)) {
        this.drop('stale-path', packet, from);
        return;
      }
      this.rootCounters.reattached += repaired.length;
      this.logger.info({ path: keys, reattached: repaired.length }, 'hello path re-attached');
      if (this.registry.graph.parentOf(from) === this.address) this.addChild(from);
      this.emit('reattached', { addresses: repaired, through: keys[0] as string });
    }
    this.rootCounters.hellos++;
    void this.sendPacket(from, {
      kind: 'reunion-hello-back',
      source: this.self,
      path: [...path].reverse(),
    });
  }

  protected override onUnreachable(remote: string, error: Error & { code?: string }): void {
    super.onUnreachable(remote, error);
    // The root's connection to a node failed (its children carry hello backs, every registered
    // node got Register and Advertise responses over one): a crashed process closes it at once.
    // That node alone leaves (5.6.5); its children re-advertise carrying their subtrees, which
    // wait detached meanwhile.
    const graph = this.registry.graph;
    if (!graph.isAlive(remote) && !graph.isDetached(remote)) return;
    this.logger.info({ node: remote, code: error.code }, 'node unreachable: turning it off');
    this.#forget(this.registry.fail(remote, this.#clock.now()), 'unreachable');
  }

  /** With the source-IP check on, drops (and counts) a packet whose source IP is not the connection's. */
  #spoofed(packet: Packet, from: string, remote: RemoteSocket): boolean {
    if (!this.#verifySourceIp || packet.source.host === plainHost(remote.host)) return false;
    this.logger.warn(
      { claimed: from, connection: remote.host, kind: packet.kind },
      "refused: claimed address is not the connection's",
    );
    this.drop('spoofed-source', packet, from);
    return true;
  }

  #onRegister(address: Address, packet: Packet, from: string): void {
    if (formatAddress(address) !== from) {
      this.drop('address-mismatch', packet, from);
      return;
    }
    if (!this.registry.isRegistered(from) && this.registry.graph.size >= this.#maxRegistered) {
      this.logger.warn(
        { node: from, limit: this.#maxRegistered },
        'registration refused: the registry is full',
      );
      this.drop('registry-full', packet, from);
      return;
    }
    if (this.registry.register(from, this.#clock.now())) {
      this.rootCounters.registrations++;
      this.logger.info({ node: from }, 'node registered');
      this.emit('node-registered', { address: from });
    }
    void this.sendPacket(from, { kind: 'register-response', source: this.self });
  }

  #onAdvertise(packet: Packet, from: string): void {
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
    const staleAfter =
      this.#rootTimeout === undefined
        ? undefined
        : Math.max(this.#rootTimeout / 4, 2 * this.#helloInterval);
    const parent = this.registry.advertise(
      from,
      this.#clock.now(),
      staleAfter === undefined ? {} : { staleAfter },
    );
    if (parent === undefined) {
      this.drop('not-registered', packet, from);
      return;
    }
    this.rootCounters.placements++;
    // The node leaves the root's children now; it joins again if the root is its new parent.
    if (before === this.address && parent !== this.address) this.removeChild(from, 'moved');
    this.logger.debug({ node: from, parent, previous: before }, 'node placed');
    this.emit('placed', { address: from, parent });
    void this.sendPacket(from, {
      kind: 'advertise-response',
      source: this.self,
      // Under the root: the root as this node reaches it (listening on 0.0.0.0, the address it dialled).
      parent: parent === this.address ? this.sourceFor(from) : parseAddress(parent),
    });
  }

  #forget(addresses: string[], cause: TurnOffCause): void {
    if (addresses.length === 0) return;
    this.rootCounters.turnedOff[cause] += addresses.length;
    for (const address of addresses)
      this.removeChild(address, cause === 'timeout' ? 'timed out' : 'unreachable');
    this.logger.info(
      { node: addresses[0], subtree: addresses.length - 1, cause },
      'node turned off',
    );
    this.emit('turned-off', { addresses, cause });
  }

  /** Stops listening to the transport (the server closes it). */
  stop(): void {
    this.detach();
  }
}
