import {
  type Address,
  formatAddress,
  isWildcardHost,
  type Packet,
  type PacketKind,
} from '@p2p/codec';
import { type Logger, silentLogger } from '@p2p/stream';
import { type Clock, systemClock } from '../clock.js';
import {
  type DropReason,
  emptyCounters,
  type NodeCounters,
  type TreeNodeEvents,
} from '../events.js';
import type { LosslessOptions } from '../lossless/lossless-options.js';
import { referenceTimings, type Timings } from '../timings.js';
import type { Transport, TransportPacket, TransportUnreachable } from '../transport.js';
import { checkAdvertisable, machineAddress } from './advertise-address.js';
import { type BroadcastResult, Flooding } from './flooding.js';
import { HelloRelay } from './hello-relay.js';
import { LosslessNode, type LosslessStats } from './lossless-node.js';
import { type Neighbours, OwnNeighbours, type TreeEventSink } from './neighbours.js';
import type { RateLimit } from './rate-limit.js';
import { ReplySources } from './reply-sources.js';
import type { TreeRole } from './role.js';
import { TurnClock } from './turn-clock.js';

/** The options every tree node takes (the peer's and the root's options include them). */
export interface NodeOptions {
  transport: Transport;
  logger?: Logger | undefined;
  /** Time for the rate limit and the protocol timers; the real clock by default. */
  clock?: Clock | undefined;
  /**
   * Messages each neighbour may send per second, with a burst; beyond it they are dropped and
   * counted ('rate-limited'). Default 5,000/s with bursts of 10,000; false for no limit.
   */
  messageRate?: RateLimit | false | undefined;
  /** Accept a Join from this node? Default: accept every Join (protocol.md 5.4). */
  acceptJoin?: ((from: string) => boolean) | undefined;
  /**
   * The address put in this node's packets when it is not the transport's (a node listening on
   * 0.0.0.0 or behind a forwarded port). Without it, a node listening on 0.0.0.0 answers each
   * remote from the address that remote dialled.
   */
  advertise?: Address | undefined;
  /** The transport's send window (default 1): with 1, neighbours may be older lock-step nodes. */
  window?: number | undefined;
  /** The largest Message text in UTF-8 bytes, sent and originated (default: see MessageLimits). */
  maxMessageBytes?: number | undefined;
  /**
   * The lossless extension (docs/protocol.md): on by default, with its bounds (window,
   * cache…) when given; false turns it off (the node is plain protocol version 1: it offers and
   * answers nothing and drops types 7 to 9 as `extension-off`).
   */
  lossless?: boolean | Partial<LosslessOptions> | undefined;
}

/** The neighbour events the core follows on its event sink. */
export interface NeighbourEventSource {
  on(
    event: 'neighbour-added',
    listener: (event: TreeNodeEvents['neighbour-added'][0]) => void,
  ): unknown;
  on(
    event: 'neighbour-removed',
    listener: (event: TreeNodeEvents['neighbour-removed'][0]) => void,
  ): unknown;
}

export interface TreeCoreOptions extends NodeOptions {
  /**
   * Where the core's events go (`message`, `dropped`, and the neighbour events of its own set);
   * the core listens to its neighbour events too (the lossless extension follows the edges).
   */
  events: TreeEventSink & NeighbourEventSource;
  /** The protocol timers, which the lossless extension's defaults derive from (default reference). */
  timings?: Timings | undefined;
  /** A peer starts fresh: its first attachment asks for none of the past (default true; the root: false). */
  fresh?: boolean | undefined;
  /** What the node's role decides (see {@link TreeRole}); none: a plain relaying node. */
  role?: TreeRole | undefined;
  /** The neighbour set; default: the node's own, children kept until they leave or fail. */
  neighbours?: Neighbours | undefined;
  /** Keep each hello relayed for the subtree this long (ms), to relay it again (the peer). */
  rememberRelaysFor?: number | undefined;
}

export type { BroadcastResult, LosslessStats };

/**
 * The tree node core every node runs, the root included (protocol.md 5.4–5.6): it owns the node's
 * neighbours and runs the rules they all share – Join, Leave, flooding of Messages with their
 * size and rate limits, relaying hellos up and hello backs down, the source each remote is
 * answered from – and calls its {@link TreeRole} where peer and root differ.
 */
export class TreeCore {
  /** This node's address, 'HOST:PORT'. */
  readonly address: string;
  /** This node's address as put in its packets. */
  readonly self: Address;
  /**
   * The address this node's own Messages carry as their origin (10.1.3): `self`, or for a node on
   * 0.0.0.0 with no advertised address (a root; its packets carry what each remote dialled) this
   * machine's address ({@link machineAddress}), never 0.0.0.0.
   */
  readonly origin: Address;
  readonly counters: NodeCounters = emptyCounters();
  readonly neighbours: Neighbours;
  readonly transport: Transport;
  readonly #logger: Logger;
  readonly #events: TreeEventSink;
  readonly #role: TreeRole;
  readonly #relay: HelloRelay;
  readonly #acceptJoin: (from: string) => boolean;
  readonly #flooding: Flooding;
  readonly #replySources: ReplySources | undefined;
  /** The lossless extension, unless turned off. */
  readonly #lossless: LosslessNode | undefined;
  /** The child whose Join is being handled (its neighbour event is not a second Join). */
  #joining: string | undefined;
  readonly #onPacket = (event: TransportPacket) => this.#receive(event);
  readonly #onUnreachable = (event: TransportUnreachable) =>
    this.#unreachable(formatAddress(event.address), event.error);

  constructor(options: TreeCoreOptions) {
    this.transport = options.transport;
    this.#logger = options.logger ?? silentLogger;
    this.#events = options.events;
    this.#role = options.role ?? {};
    if (options.advertise !== undefined) checkAdvertisable(options.advertise);
    this.self = options.advertise ?? options.transport.address;
    this.address = formatAddress(this.self);
    // Listening on every interface with no address given: answer each remote from the one it dialled.
    this.#replySources = isWildcardHost(this.self.host) ? new ReplySources(this.self) : undefined;
    this.origin = this.#replySources === undefined ? this.self : machineAddress(this.self.port);
    this.#acceptJoin = options.acceptJoin ?? (() => true);
    const clock = options.clock ?? systemClock;
    // One reading of the time per received Message, shared by the rate limit and the extension.
    const turnClock = new TurnClock(clock);
    this.neighbours =
      options.neighbours ?? new OwnNeighbours(this.#events, { clock, logger: this.#logger });
    const replySources = this.#replySources;
    this.#flooding = new Flooding(this, {
      ...options,
      clock: turnClock,
      logger: this.#logger,
      sourceFor: replySources === undefined ? undefined : (to) => replySources.sourceFor(to),
    });
    this.#relay = new HelloRelay(this, clock, options.rememberRelaysFor);
    const lossless = options.lossless ?? true;
    if (lossless !== false) {
      this.#lossless = new LosslessNode(this, {
        clock: turnClock,
        logger: this.#logger,
        events: this.#events,
        timings: options.timings ?? referenceTimings,
        flooding: this.#flooding,
        options: lossless === true ? undefined : lossless,
        fresh: options.fresh ?? true,
        answersOffer: this.#role.answersOffer?.bind(this.#role),
      });
      const events = options.events;
      events.on('neighbour-added', ({ neighbour, role }) => {
        if (role === 'child' && neighbour !== this.#joining) this.#lossless?.childJoined(neighbour);
      });
      events.on('neighbour-removed', ({ neighbour }) => {
        if (!this.isNeighbour(neighbour)) this.#lossless?.edgeGone(neighbour);
      });
    }
    this.transport.on('packet', this.#onPacket);
    this.transport.on('unreachable', this.#onUnreachable);
  }

  /** The parent's address, or null (the root, or a peer not attached). */
  get parent(): string | null {
    return this.neighbours.parent;
  }

  /** The children's addresses. */
  get children(): string[] {
    return [...this.neighbours.children];
  }

  /** Parent first, then children. */
  get neighbourList(): string[] {
    const parent = this.neighbours.parent;
    return parent === null ? this.children : [parent, ...this.neighbours.children];
  }

  isNeighbour(address: string): boolean {
    return address === this.neighbours.parent || this.neighbours.isChild(address);
  }

  /** The largest Message text, in UTF-8 bytes, `broadcast` accepts. */
  get maxMessageBytes(): number {
    return this.#flooding.maxMessageBytes;
  }

  /**
   * Originates a Message: sends it to every neighbour. Resolves once every neighbour has
   * acknowledged it or failed; failures are counted, logged and listed, never thrown. A text
   * larger than `maxMessageBytes` is refused (ERR_PEER_MESSAGE_TOO_LARGE) before anything is sent.
   */
  broadcast(text: string): Promise<BroadcastResult> {
    return this.#lossless?.broadcast(text) ?? this.#flooding.broadcast(text);
  }

  /** The lossless extension's counters, cache and edges, or null when it is turned off. */
  get losslessStats(): LosslessStats | null {
    return this.#lossless?.stats() ?? null;
  }

  /** The lossless extension of this node, or undefined when it is turned off. */
  get lossless(): LosslessNode | undefined {
    return this.#lossless;
  }

  /** Throws what `broadcast(text)` would refuse the text with (ERR_PEER_MESSAGE_TOO_LARGE), if anything. */
  checkMessage(text: string): void {
    this.#flooding.check(text);
  }

  /**
   * Sends a packet, counting it; a failure is logged and counted and reported as false. Every
   * kind but Message goes as urgent: a heartbeat stuck behind a backlog of Messages would time
   * out and tear down a healthy edge.
   */
  send(to: string, packet: Packet): Promise<boolean> {
    const acknowledged = this.#send(to, packet);
    this.#role.sending?.(to, packet, acknowledged);
    return acknowledged;
  }

  /** Counts and reports a packet (or frame) that decoded but is not acceptable. */
  drop(reason: DropReason, packet: { kind: PacketKind }, from: string): void {
    this.counters.dropped[reason]++;
    this.#logger.debug({ reason, kind: packet.kind, from }, 'packet dropped');
    this.#events.emit('dropped', { reason, kind: packet.kind, from });
  }

  /** Drops a child (with the neighbour event), if it is one. */
  removeChild(child: string, reason: string): void {
    this.neighbours.remove(child, reason);
  }

  /** Relays again the hellos from below not answered yet: the path up works again. */
  relayPendingHellos(): void {
    this.#relay.relayPending();
  }

  /** The source to put in packets to `to`: this node's address, or the one `to` dialled. */
  sourceFor(to: string): Address {
    return this.#replySources === undefined ? this.self : this.#replySources.sourceFor(to);
  }

  /** Stops listening to the transport and the neighbours' timers; the owner closes the transport. */
  close(): void {
    this.#lossless?.close();
    this.neighbours.close();
    this.transport.off('packet', this.#onPacket);
    this.transport.off('unreachable', this.#onUnreachable);
  }

  async #send(to: string, packet: Packet): Promise<boolean> {
    this.counters.packetsOut[packet.kind]++;
    try {
      await this.transport.send(to, this.#fromSelfTo(to, packet), {
        urgent: packet.kind !== 'message',
      });
      return true;
    } catch (error) {
      this.counters.sendFailures++;
      this.#logger.debug({ to, kind: packet.kind, err: (error as Error).message }, 'send failed');
      return false;
    }
  }

  /** `packet` with the source `to` knows this node by (the same object when that is `self`). */
  #fromSelfTo(to: string, packet: Packet): Packet {
    if (this.#replySources === undefined || packet.source !== this.self) return packet;
    const source = this.#replySources.sourceFor(to);
    return source === this.self ? packet : { ...packet, source };
  }

  #receive({ frame, remote, local, from }: TransportPacket): void {
    if (this.#replySources !== undefined && local !== undefined)
      this.#replySources.heard(from, frame.source.host, remote, local);
    // Most packets are Messages: they stay frames, their text decoded only for the application.
    const kind = frame.kind;
    if (kind === 'message' || kind === 'identified-message') {
      this.counters.packetsIn[kind]++;
      const refused = this.#role.admit?.(frame, from, remote);
      if (refused !== undefined) this.drop(refused, frame, from);
      else if (this.#lossless !== undefined) this.#lossless.receiveMessage(frame, from);
      else if (kind === 'message') this.#flooding.receive(frame, from);
      else this.drop('extension-off', frame, from);
      return;
    }
    const packet = frame.packet;
    this.counters.packetsIn[packet.kind]++;
    // Before the role's gate (reunion failure): a child's hello shows the child is alive, and is
    // relayed again once the node is back in the tree.
    if (packet.kind === 'reunion-hello' && this.#role.answerHello === undefined) {
      if (this.neighbours.isChild(from)) this.neighbours.heard(from);
      this.#relay.remember(packet.path, from);
    }
    const refused = this.#role.admit?.(frame, from, remote);
    if (refused !== undefined) {
      this.drop(refused, packet, from);
      return;
    }
    switch (packet.kind) {
      case 'join':
        this.#onJoin(packet, from);
        return;
      case 'reunion-hello':
        if (this.#role.answerHello !== undefined) this.#role.answerHello(packet.path, packet, from);
        else this.#relay.up(packet.path, packet, from);
        return;
      case 'reunion-hello-back':
        this.#relay.down(packet.path, packet, from, () => this.#helloAnswered(packet, from));
        return;
      case 'leave':
        this.#onLeave(packet, from);
        return;
      case 'capabilities-offer':
      case 'capabilities-answer':
      case 'digest':
        if (this.#lossless === undefined) this.drop('extension-off', packet, from);
        else this.#lossless.receiveControl(packet, from);
        return;
      default:
        if (this.#role.control !== undefined) this.#role.control(packet, from, remote);
        else this.drop('unexpected-kind', packet, from);
    }
  }

  #helloAnswered(packet: Packet, from: string): void {
    if (this.#role.helloAnswered !== undefined) this.#role.helloAnswered(packet, from);
    else this.drop('unexpected-kind', packet, from);
  }

  #unreachable(remote: string, error: Error & { code?: string }): void {
    if (this.neighbours.remove(remote, 'unreachable'))
      this.#logger.info({ child: remote, code: error.code }, 'child unreachable, removing it');
    this.#role.unreachable?.(remote, error);
  }

  #onJoin(packet: Packet, from: string): void {
    this.#joining = from;
    try {
      if (
        from === this.address ||
        from === this.neighbours.parent ||
        !this.#acceptJoin(from) ||
        !this.neighbours.join(from)
      ) {
        this.drop('join-refused', packet, from);
        return;
      }
    } finally {
      this.#joining = undefined;
    }
    this.counters.joinsAccepted++;
    this.#lossless?.childJoined(from);
  }

  /** A child joined another parent and says so: it is no longer ours (the Leave extension). */
  #onLeave(packet: Packet, from: string): void {
    if (!this.neighbours.isChild(from)) {
      this.drop('not-a-neighbour', packet, from);
      return;
    }
    // The root's children are its placement's: a Leave (never sent to the root) changes nothing.
    if (!this.neighbours.remove(from, 'left')) {
      this.drop('unexpected-kind', packet, from);
      return;
    }
    this.#logger.debug({ child: from }, 'child left for another parent');
  }
}
