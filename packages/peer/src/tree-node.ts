import { EventEmitter } from 'node:events';
import {
  type Address,
  formatAddress,
  isWildcardHost,
  MAX_PATH_ENTRIES,
  type Packet,
  parseAddress,
} from '@p2p/codec';
import { type Logger, silentLogger } from '@p2p/stream';
import { checkAdvertisable } from './advertise-address.js';
import { type Clock, systemClock } from './clock.js';
import { PeerError } from './errors.js';
import {
  type DropReason,
  emptyCounters,
  type NeighbourRole,
  type NodeCounters,
  type TreeNodeEvents,
} from './events.js';
import { MessageLimits } from './message-limits.js';
import { defaultMessageRate, type RateLimit, RateLimiter } from './rate-limit.js';
import { ReplySources } from './reply-sources.js';
import { SilentChildren } from './silent-children.js';
import type { Transport, TransportPacket, TransportUnreachable } from './transport.js';

export interface TreeNodeOptions {
  transport: Transport;
  logger?: Logger | undefined;
  /** Time for the rate limit; the real clock by default. */
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
}

/** The result of a broadcast: how many neighbours acknowledged it and which ones failed. */
export interface BroadcastResult {
  delivered: number;
  failed: string[];
}

/**
 * The tree node core every node runs, the root included (protocol.md 5.4–5.6): neighbours,
 * flooding of Messages, and relaying of Reunion hellos up and hello backs down the tree. Roles
 * (peer, root) subclass it and handle the control packets.
 */
export class TreeNode<
  // biome-ignore lint/suspicious/noExplicitAny: the constraint of Node's EventEmitter<T> itself
  Events extends TreeNodeEvents & Record<keyof Events, any[]> = TreeNodeEvents,
> extends EventEmitter<Events> {
  /** This node's server address, 'HOST:PORT'. */
  readonly address: string;
  readonly counters: NodeCounters = emptyCounters();
  protected readonly transport: Transport;
  protected readonly logger: Logger;
  protected readonly self: Address;
  #parent: string | null = null;
  readonly #children = new Set<string>();
  readonly #acceptJoin: (from: string) => boolean;
  readonly #messageRate: RateLimiter | undefined;
  readonly #limits: MessageLimits;
  readonly #replySources: ReplySources | undefined;
  readonly #silentChildren: SilentChildren;
  readonly #onPacket = (event: TransportPacket) => this.#receive(event);
  readonly #onUnreachable = (event: TransportUnreachable) =>
    this.onUnreachable(formatAddress(event.address), event.error);

  constructor(options: TreeNodeOptions) {
    super();
    this.transport = options.transport;
    this.logger = options.logger ?? silentLogger;
    if (options.advertise !== undefined) checkAdvertisable(options.advertise);
    this.self = options.advertise ?? options.transport.address;
    this.address = formatAddress(this.self);
    // Listening on every interface with no address given: answer each remote from the one it dialled.
    this.#replySources = isWildcardHost(this.self.host) ? new ReplySources(this.self) : undefined;
    this.#limits = new MessageLimits(options);
    this.#acceptJoin = options.acceptJoin ?? (() => true);
    const rate = options.messageRate ?? defaultMessageRate;
    const clock = options.clock ?? systemClock;
    this.#messageRate = rate === false ? undefined : new RateLimiter(rate, clock);
    this.#silentChildren = new SilentChildren(clock, (child) => {
      this.logger.info({ child }, 'no hello from a child for too long, removing it');
      this.removeChild(child, 'silent');
    });
    this.transport.on('packet', this.#onPacket);
    this.transport.on('unreachable', this.#onUnreachable);
  }

  /** The parent's address, or null (the root, or a peer not attached). */
  get parent(): string | null {
    return this.#parent;
  }

  /** The children's addresses. */
  get children(): string[] {
    return [...this.#children];
  }

  /** Parent first, then children. */
  get neighbours(): string[] {
    return this.#parent === null ? this.children : [this.#parent, ...this.#children];
  }

  isNeighbour(address: string): boolean {
    return address === this.#parent || this.#children.has(address);
  }

  /** The largest Message text, in UTF-8 bytes, `broadcast` accepts. */
  get maxMessageBytes(): number {
    return this.#limits.maxMessageBytes;
  }

  /**
   * Originates a Message: sends it to every neighbour. Resolves once every neighbour has
   * acknowledged it or failed; failures are counted, logged and listed, never thrown. A text
   * larger than `maxMessageBytes` is refused (ERR_PEER_MESSAGE_TOO_LARGE) before anything is sent.
   */
  async broadcast(text: string): Promise<BroadcastResult> {
    this.checkMessage(text);
    this.counters.messagesOriginated++;
    return this.#flood(text);
  }

  /** Throws what `broadcast(text)` would refuse the text with (ERR_PEER_MESSAGE_TOO_LARGE), if anything. */
  checkMessage(text: string): void {
    if (typeof text !== 'string')
      throw new TypeError('broadcast expects the message text as a string');
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > this.#limits.maxMessageBytes) {
      throw new PeerError(
        'ERR_PEER_MESSAGE_TOO_LARGE',
        `the message is ${bytes} bytes (UTF-8); the network takes at most ${this.#limits.maxMessageBytes}`,
      );
    }
  }

  /** Typed emit for subclasses (EventEmitter's generic emit does not narrow inside a generic class). */
  protected notify<K extends keyof TreeNodeEvents>(event: K, ...args: TreeNodeEvents[K]): void {
    (this as unknown as EventEmitter).emit(event, ...args);
  }

  /**
   * Sends a packet, counting it; a failure is logged and counted and reported as false. Every
   * kind but Message goes as urgent: a heartbeat stuck behind a backlog of Messages would time
   * out and tear down a healthy edge.
   */
  protected async sendPacket(to: string, packet: Packet): Promise<boolean> {
    this.counters.packetsOut[packet.kind]++;
    try {
      await this.transport.send(to, this.#fromSelfTo(to, packet), {
        urgent: packet.kind !== 'message',
      });
      return true;
    } catch (error) {
      this.counters.sendFailures++;
      this.logger.debug({ to, kind: packet.kind, err: (error as Error).message }, 'send failed');
      return false;
    }
  }

  protected drop(reason: DropReason, packet: Packet, from: string): void {
    this.counters.dropped[reason]++;
    this.logger.debug({ reason, kind: packet.kind, from }, 'packet dropped');
    this.notify('dropped', { reason, kind: packet.kind, from });
  }

  /** Sets the parent edge (null removes it), emitting the neighbour and parent events. */
  protected setParent(parent: string | null, reason = 'replaced'): void {
    const previous = this.#parent;
    if (previous === parent) return;
    this.#children.delete(parent ?? '');
    this.#parent = parent;
    if (previous !== null)
      this.notify('neighbour-removed', { neighbour: previous, role: 'parent', reason });
    if (parent !== null) this.notify('neighbour-added', { neighbour: parent, role: 'parent' });
    this.notify('parent', { parent, previous });
  }

  protected addChild(child: string): void {
    if (child === this.#parent || child === this.address) return;
    this.#silentChildren.heard(child);
    if (this.#children.has(child)) return;
    this.#children.add(child);
    this.notify('neighbour-added', { neighbour: child, role: 'child' });
  }

  protected removeChild(child: string, reason: string): void {
    this.#silentChildren.forget(child);
    if (!this.#children.delete(child)) return;
    this.notify('neighbour-removed', { neighbour: child, role: 'child', reason });
  }

  /**
   * A packet that decoded, from `from` (its header source) over a connection from `remote` (the
   * socket's address); subclasses gate it (reunion failure) or handle control kinds first.
   */
  protected handle(packet: Packet, from: string, remote: RemoteSocket): void {
    switch (packet.kind) {
      case 'join':
        this.#onJoin(packet, from);
        return;
      case 'message':
        this.#onMessage(packet.text, packet, from);
        return;
      case 'reunion-hello':
        this.onHello(packet.path, packet, from);
        return;
      case 'reunion-hello-back':
        this.onHelloBack(packet.path, packet, from);
        return;
      case 'leave':
        this.#onLeave(packet, from);
        return;
      default:
        this.onControl(packet, from, remote);
    }
  }

  /** Register and Advertise packets: the roles' business. The core drops them. */
  protected onControl(packet: Packet, from: string, _remote: RemoteSocket): void {
    this.drop('unexpected-kind', packet, from);
  }

  /**
   * A hello from a child: append this node and forward it to the parent (protocol.md 5.6.2).
   * The root overrides this to answer instead.
   */
  protected onHello(path: readonly Address[], packet: Packet, from: string): void {
    const reason = this.checkHelloPath(path, from);
    if (reason !== undefined) {
      this.drop(reason, packet, from);
      return;
    }
    if (this.#parent === null) {
      this.drop('no-parent', packet, from);
      return;
    }
    if (path.length >= MAX_PATH_ENTRIES) {
      this.drop('path-too-long', packet, from);
      return;
    }
    this.counters.hellosRelayed++;
    void this.sendPacket(this.#parent, {
      kind: 'reunion-hello',
      source: this.self,
      path: [...path, this.self],
    });
  }

  /**
   * Checks a hello's path as it arrives from `from`: it must come from a child and end with that
   * child, and must not already hold this node. Returns why it is unacceptable, if it is.
   */
  protected checkHelloPath(path: readonly Address[], from: string): DropReason | undefined {
    if (!this.#children.has(from)) return 'not-a-neighbour';
    const last = path[path.length - 1];
    if (last === undefined || formatAddress(last) !== from) return 'forged-path';
    if (path.some((entry) => formatAddress(entry) === this.address)) return 'path-loop';
    return undefined;
  }

  /** A hello back: ours if we are its only entry, else strip our entry and pass it on (5.6.4). */
  protected onHelloBack(path: readonly Address[], packet: Packet, from: string): void {
    const first = path[0];
    if (first === undefined || formatAddress(first) !== this.address) {
      this.drop('not-addressed-to-us', packet, from);
      return;
    }
    if (path.length === 1) {
      this.onHelloAnswered(packet, from);
      return;
    }
    const rest = path.slice(1);
    const next = formatAddress(rest[0] as Address);
    this.counters.helloBacksRelayed++;
    void this.sendPacket(next, { kind: 'reunion-hello-back', source: this.self, path: rest });
  }

  /** This node's own hello came back. Only peers send hellos; the core drops it. */
  protected onHelloAnswered(packet: Packet, from: string): void {
    this.drop('unexpected-kind', packet, from);
  }

  /** The transport lost a remote: a failed child is no longer a neighbour. */
  protected onUnreachable(remote: string, error: Error & { code?: string }): void {
    if (this.#children.has(remote)) {
      this.logger.info({ child: remote, code: error.code }, 'child unreachable, removing it');
      this.removeChild(remote, 'unreachable');
    }
  }

  /**
   * Removes children that have sent or relayed no hello for `ms` (on the clock): a child that
   * left without a Leave reaching us. Off by default (the root manages its children itself).
   */
  protected dropSilentChildrenAfter(ms: number): void {
    this.#silentChildren.expireAfter(ms);
  }

  /** Detaches from the transport's events; subclasses close the transport. */
  protected detach(): void {
    this.#silentChildren.stop();
    this.transport.off('packet', this.#onPacket);
    this.transport.off('unreachable', this.#onUnreachable);
  }

  /** The source to put in packets to `to`: this node's address, or the one `to` dialled. */
  protected sourceFor(to: string): Address {
    return this.#replySources === undefined ? this.self : this.#replySources.sourceFor(to);
  }

  /** `packet` with the source `to` knows this node by (the same object when that is `self`). */
  #fromSelfTo(to: string, packet: Packet): Packet {
    if (this.#replySources === undefined || packet.source !== this.self) return packet;
    const source = this.#replySources.sourceFor(to);
    return source === this.self ? packet : { ...packet, source };
  }

  #receive({ packet, remote, local, from }: TransportPacket): void {
    // Most packets are Messages: a fixed property is cheaper than a lookup by kind.
    if (packet.kind === 'message') this.counters.packetsIn.message++;
    else this.counters.packetsIn[packet.kind]++;
    if (this.#replySources !== undefined && local !== undefined)
      this.#replySources.heard(from, packet.source.host, remote, local);
    // Before any gate (reunion failure): a child's hello shows the child is alive.
    if (packet.kind === 'reunion-hello' && this.#children.has(from))
      this.#silentChildren.heard(from);
    this.handle(packet, from, remote);
  }

  #onJoin(packet: Packet, from: string): void {
    if (from === this.address || from === this.#parent || !this.#acceptJoin(from)) {
      this.drop('join-refused', packet, from);
      return;
    }
    this.counters.joinsAccepted++;
    this.addChild(from);
  }

  /** A child joined another parent and says so: it is no longer ours (the Leave extension). */
  #onLeave(packet: Packet, from: string): void {
    if (!this.#children.has(from)) {
      this.drop('not-a-neighbour', packet, from);
      return;
    }
    this.logger.debug({ child: from }, 'child left for another parent');
    this.removeChild(from, 'left');
  }

  #onMessage(text: string, packet: Packet, from: string): void {
    if (!this.isNeighbour(from)) {
      this.drop('not-a-neighbour', packet, from);
      return;
    }
    if (this.#messageRate !== undefined && !this.#messageRate.take(from)) {
      this.drop('rate-limited', packet, from);
      return;
    }
    this.counters.messagesDelivered++;
    this.notify('message', { text, from });
    this.#forward(text, from);
  }

  /**
   * Forwards a received Message to every neighbour but the one it came from. Nobody waits on a
   * forward, so it makes no promise: at thousands of packets a second per node, the promises and
   * their closures were a quarter of the CPU (young-generation GC) with a send window.
   */
  #forward(text: string, from: string): void {
    const packet: Packet = { kind: 'message', source: this.self, text };
    const bytes = this.#limits.sizeIfLarge(text);
    const parent = this.#parent;
    if (parent !== null && parent !== from) this.#forwardTo(parent, packet, bytes, from);
    for (const child of this.#children)
      if (child !== from) this.#forwardTo(child, packet, bytes, from);
  }

  #forwardTo(to: string, packet: Packet, bytes: number, from: string): void {
    if (bytes > 0 && !this.#fits(to, packet, bytes, from)) return;
    this.counters.messagesForwarded++;
    this.counters.packetsOut.message++;
    this.transport.post(to, this.#fromSelfTo(to, packet), NOT_URGENT, this.#onForwardSettled);
  }

  /**
   * Whether a Message of `bytes` bytes may go to `to`: a frame larger than a neighbour takes would
   * close the connection (ours) or kill the node (the reference), so it is dropped and counted.
   */
  #fits(to: string, packet: Packet, bytes: number, from: string): boolean {
    const limit = this.#limits.limitFor(this.transport.framingFor(to));
    if (bytes <= limit) return true;
    this.counters.dropped['too-large-for-neighbour']++;
    this.logger.warn({ to, bytes, limit }, 'message too large for a neighbour: not sent to it');
    this.notify('dropped', { reason: 'too-large-for-neighbour', kind: packet.kind, from });
    return false;
  }

  readonly #onForwardSettled = (error?: Error & { code?: string; remote?: string }): void => {
    if (error === undefined) return;
    this.counters.sendFailures++;
    this.logger.debug({ to: error.remote, kind: 'message', err: error.message }, 'send failed');
  };

  async #flood(text: string): Promise<BroadcastResult> {
    // broadcast() checked the size against the smallest limit of any neighbour.
    const targets = this.neighbours;
    const packet: Packet = { kind: 'message', source: this.self, text };
    const results = await Promise.all(targets.map((to) => this.sendPacket(to, packet)));
    const failed = targets.filter((_, i) => !results[i]);
    return { delivered: targets.length - failed.length, failed };
  }
}

const NOT_URGENT = Object.freeze({ urgent: false });

/** Parses 'HOST:PORT' or passes an Address through, as the formatted key. */
export function addressKey(address: string | Address): string {
  return formatAddress(typeof address === 'string' ? parseAddress(address) : address);
}

/** The socket address a packet arrived from (not the node address in its header). */
export type RemoteSocket = TransportPacket['remote'];

export type { NeighbourRole };
