import type { Address, Frame, OutgoingFrame } from '@p2p/codec';
import { PacketFrame } from '@p2p/codec';
import type { Logger } from '@p2p/stream';
import type { Clock } from '../clock.js';
import { PeerError } from '../errors.js';
import type { DropReason, NodeCounters } from '../events.js';
import type { Transport, TransportFloodReport } from '../transport.js';
import { addToBroadcast, countSendFailures } from './flood-reports.js';
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
  readonly self: Address;
  readonly neighbours: Neighbours;
  readonly counters: NodeCounters;
  readonly transport: Transport;
  isNeighbour(address: string): boolean;
  drop(reason: DropReason, packet: { kind: Frame['kind'] }, from: string): void;
}

export interface FloodingOptions {
  clock: Clock;
  logger: Logger;
  events: TreeEventSink;
  messageRate?: RateLimit | false | undefined;
  window?: number | undefined;
  maxMessageBytes?: number | undefined;
  /**
   * The source each neighbour knows this node by, when it differs between neighbours (a node
   * listening on 0.0.0.0); undefined when every neighbour is sent `self`.
   */
  sourceFor?: ((to: string) => Address) | undefined;
}

/**
 * Messages (protocol.md 5.5): taken only from neighbours and within their rate, delivered, and
 * forwarded to every other neighbour within its size limit; originated to every neighbour.
 *
 * A Message travels as a frame: the received {@link Frame} is handed on re-sourced as this node
 * (`frame.withSource`), so its body is neither decoded nor re-encoded, and the frame is written
 * at most once per framing however many neighbours get it. One flood per source this node goes
 * by, one report per flood: no promise nor callback per neighbour.
 */
export class Flooding {
  readonly #node: FloodingNode;
  readonly #logger: Logger;
  readonly #events: TreeEventSink;
  readonly #messageRate: RateLimiter | undefined;
  readonly #limits: MessageLimits;
  readonly #sourceFor: ((to: string) => Address) | undefined;

  constructor(node: FloodingNode, options: FloodingOptions) {
    this.#node = node;
    this.#logger = options.logger;
    this.#events = options.events;
    this.#limits = new MessageLimits(options);
    const rate = options.messageRate ?? defaultMessageRate;
    this.#messageRate = rate === false ? undefined : new RateLimiter(rate, options.clock);
    this.#sourceFor = options.sourceFor;
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

  /**
   * Originates a Message to every neighbour: one frame, one flood. Resolves, from the flood's
   * report, with the neighbours that acknowledged it and those that failed.
   */
  async broadcast(text: string): Promise<BroadcastResult> {
    this.check(text);
    const node = this.#node;
    node.counters.messagesOriginated++;
    const targets = this.#targets(null);
    node.counters.packetsOut.message += targets.length;
    if (targets.length === 0) return { delivered: 0, failed: [] };
    return new Promise((resolve) => {
      const result: BroadcastResult = { delivered: 0, failed: [] };
      let floods = 0;
      const reported = (report: TransportFloodReport): void => {
        this.#onFlooded(report);
        addToBroadcast(result, report);
        if (--floods === 0) resolve(result);
      };
      this.#flood(
        targets,
        (source) => new PacketFrame({ kind: 'message', source, text }),
        () => {
          floods++;
          return reported;
        },
      );
    });
  }

  /** A Message frame from `from`. */
  receive(frame: Frame, from: string): void {
    if (!this.admit(frame, from)) return;
    this.#node.counters.messagesDelivered++;
    this.#events.emit('message', { text: frame.text as string, from, origin: null });
    this.#forward(frame, from);
  }

  /**
   * Whether a Message (plain or identified) from `from` is taken: from a neighbour, within its
   * rate. Otherwise it is dropped and counted.
   */
  admit(frame: Frame, from: string): boolean {
    const node = this.#node;
    if (!node.isNeighbour(from)) {
      node.drop('not-a-neighbour', frame, from);
      return false;
    }
    if (this.#messageRate !== undefined && !this.#messageRate.take(from)) {
      node.drop('rate-limited', frame, from);
      return false;
    }
    return true;
  }

  /** Forwards a received Message to every neighbour but the one it came from. */
  #forward(frame: Frame, from: string): void {
    const targets = this.#targets(from, frame.length);
    if (targets.length === 0) return;
    const counters = this.#node.counters;
    counters.messagesForwarded += targets.length;
    counters.packetsOut.message += targets.length;
    // The common case without a closure: every neighbour knows this node by `self`.
    if (this.#sourceFor === undefined)
      this.#node.transport.flood(targets, frame.withSource(this.#node.self), this.#onFlooded);
    else
      this.#flood(
        targets,
        (source) => frame.withSource(source),
        () => this.#onFlooded,
      );
  }

  /**
   * The neighbours but `from` that take a Message body of `bytes` bytes: a frame larger than a
   * neighbour takes would close the connection (ours) or kill the node (the reference), so it is
   * dropped for that neighbour and counted.
   */
  #targets(from: string | null, bytes = 0): string[] {
    const neighbours = this.#node.neighbours;
    const targets: string[] = [];
    const parent = neighbours.parent;
    if (parent !== null && parent !== from) targets.push(parent);
    for (const child of neighbours.children) if (child !== from) targets.push(child);
    // Most Messages fit every neighbour: only a large one is checked against each.
    if (bytes <= this.#limits.maxMessageBytes) return targets;
    return targets.filter((to) => this.#fits(to, bytes, from ?? ''));
  }

  /**
   * Whether a plain Message body of `bytes` bytes may go to `to` (a version-1 neighbour); if not,
   * the drop is counted and reported.
   */
  fits(to: string, bytes: number, from: string): boolean {
    if (bytes <= this.#limits.maxMessageBytes) return true;
    return this.#fits(to, bytes, from);
  }

  #fits(to: string, bytes: number, from: string): boolean {
    const limit = this.#limits.limitFor(this.#node.transport.framingFor(to));
    if (bytes <= limit) return true;
    this.#node.counters.dropped['too-large-for-neighbour']++;
    this.#logger.warn({ to, bytes, limit }, 'message too large for a neighbour: not sent to it');
    this.#events.emit('dropped', { reason: 'too-large-for-neighbour', kind: 'message', from });
    return false;
  }

  /**
   * Hands the frame `as(source)` to `targets`: one flood when every neighbour knows this node by
   * the same address, else one per source (a node listening on 0.0.0.0 is known by the address
   * each neighbour dialled).
   */
  #flood(
    targets: string[],
    as: (source: Address) => OutgoingFrame,
    reporter: () => (report: TransportFloodReport) => void,
  ): void {
    const transport = this.#node.transport;
    const sourceFor = this.#sourceFor;
    if (sourceFor === undefined) {
      transport.flood(targets, as(this.#node.self), reporter());
      return;
    }
    const bySource = new Map<string, { source: Address; targets: string[] }>();
    for (const to of targets) {
      const source = sourceFor(to);
      const key = `${source.host}:${source.port}`;
      const group = bySource.get(key);
      if (group === undefined) bySource.set(key, { source, targets: [to] });
      else group.targets.push(to);
    }
    // Every report is taken before the first flood: a flood may report at once (all refused).
    const floods = [...bySource.values()].map((group) => ({ ...group, report: reporter() }));
    for (const { targets, source, report } of floods) transport.flood(targets, as(source), report);
  }

  readonly #onFlooded = (report: TransportFloodReport): void => {
    countSendFailures(report, this.#node.counters, this.#logger);
  };
}
