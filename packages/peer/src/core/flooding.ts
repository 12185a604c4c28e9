import type { Packet } from '@p2p/codec';
import type { Logger } from '@p2p/stream';
import type { Clock } from '../clock.js';
import { PeerError } from '../errors.js';
import type { DropReason, NodeCounters } from '../events.js';
import type { Transport } from '../transport.js';
import { MessageLimits } from './message-limits.js';
import type { Neighbours, TreeEventSink } from './neighbours.js';
import { defaultMessageRate, type RateLimit, RateLimiter } from './rate-limit.js';

/** The result of a broadcast: how many neighbours acknowledged it and which ones failed. */
export interface BroadcastResult {
  delivered: number;
  failed: string[];
}

/** What flooding needs of the node it runs in. */
export interface FloodingNode {
  readonly self: Packet['source'];
  readonly neighbours: Neighbours;
  readonly neighbourList: string[];
  readonly counters: NodeCounters;
  readonly transport: Transport;
  isNeighbour(address: string): boolean;
  send(to: string, packet: Packet): Promise<boolean>;
  drop(reason: DropReason, packet: Packet, from: string): void;
}

export interface FloodingOptions {
  clock: Clock;
  logger: Logger;
  events: TreeEventSink;
  messageRate?: RateLimit | false | undefined;
  window?: number | undefined;
  maxMessageBytes?: number | undefined;
  /** The packet with the source its receiver knows this node by. */
  fromSelfTo(to: string, packet: Packet): Packet;
}

/**
 * Messages (protocol.md 5.5): taken only from neighbours and within their rate, delivered, and
 * forwarded to every other neighbour within its size limit; originated to every neighbour.
 */
export class Flooding {
  readonly #node: FloodingNode;
  readonly #logger: Logger;
  readonly #events: TreeEventSink;
  readonly #messageRate: RateLimiter | undefined;
  readonly #limits: MessageLimits;
  readonly #fromSelfTo: (to: string, packet: Packet) => Packet;

  constructor(node: FloodingNode, options: FloodingOptions) {
    this.#node = node;
    this.#logger = options.logger;
    this.#events = options.events;
    this.#limits = new MessageLimits(options);
    const rate = options.messageRate ?? defaultMessageRate;
    this.#messageRate = rate === false ? undefined : new RateLimiter(rate, options.clock);
    this.#fromSelfTo = options.fromSelfTo;
  }

  /** The largest Message text, in UTF-8 bytes, a node originates: it fits every neighbour. */
  get maxMessageBytes(): number {
    return this.#limits.maxMessageBytes;
  }

  /** Throws ERR_PEER_MESSAGE_TOO_LARGE for a text over `maxMessageBytes`. */
  check(text: string): void {
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

  /** Originates a Message to every neighbour (checked against the smallest limit of any). */
  async broadcast(text: string): Promise<BroadcastResult> {
    this.check(text);
    const node = this.#node;
    node.counters.messagesOriginated++;
    const targets = node.neighbourList;
    const packet: Packet = { kind: 'message', source: node.self, text };
    const results = await Promise.all(targets.map((to) => node.send(to, packet)));
    const failed = targets.filter((_, i) => !results[i]);
    return { delivered: targets.length - failed.length, failed };
  }

  /** A Message from `from`. */
  receive(text: string, packet: Packet, from: string): void {
    const node = this.#node;
    if (!node.isNeighbour(from)) {
      node.drop('not-a-neighbour', packet, from);
      return;
    }
    if (this.#messageRate !== undefined && !this.#messageRate.take(from)) {
      node.drop('rate-limited', packet, from);
      return;
    }
    this.#node.counters.messagesDelivered++;
    this.#events.emit('message', { text, from });
    this.#forward(text, from);
  }

  /**
   * Forwards a received Message to every neighbour but the one it came from. Nobody waits on a
   * forward, so it makes no promise: at thousands of packets a second per node, the promises and
   * their closures were a quarter of the CPU (young-generation GC) with a send window.
   */
  #forward(text: string, from: string): void {
    const packet: Packet = { kind: 'message', source: this.#node.self, text };
    const bytes = this.#limits.sizeIfLarge(text);
    const parent = this.#node.neighbours.parent;
    if (parent !== null && parent !== from) this.#forwardTo(parent, packet, bytes, from);
    for (const child of this.#node.neighbours.children)
      if (child !== from) this.#forwardTo(child, packet, bytes, from);
  }

  #forwardTo(to: string, packet: Packet, bytes: number, from: string): void {
    if (bytes > 0 && !this.#fits(to, packet, bytes, from)) return;
    this.#node.counters.messagesForwarded++;
    this.#node.counters.packetsOut.message++;
    this.#node.transport.post(to, this.#fromSelfTo(to, packet), NOT_URGENT, this.#onForwardSettled);
  }

  /**
   * Whether a Message of `bytes` bytes may go to `to`: a frame larger than a neighbour takes would
   * close the connection (ours) or kill the node (the reference), so it is dropped and counted.
   */
  #fits(to: string, packet: Packet, bytes: number, from: string): boolean {
    const limit = this.#limits.limitFor(this.#node.transport.framingFor(to));
    if (bytes <= limit) return true;
    this.#node.counters.dropped['too-large-for-neighbour']++;
    this.#logger.warn({ to, bytes, limit }, 'message too large for a neighbour: not sent to it');
    this.#events.emit('dropped', { reason: 'too-large-for-neighbour', kind: packet.kind, from });
    return false;
  }

  readonly #onForwardSettled = (error?: Error & { code?: string; remote?: string }): void => {
    if (error === undefined) return;
    this.#node.counters.sendFailures++;
    this.#logger.debug({ to: error.remote, kind: 'message', err: error.message }, 'send failed');
  };
}

const NOT_URGENT = Object.freeze({ urgent: false });
