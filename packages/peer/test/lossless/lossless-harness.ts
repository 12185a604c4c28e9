import { ManualClock } from '../../src/clock.js';
import { type HoldLimits, holdBounds } from '../../src/lossless/held-messages.js';
import { Lossless } from '../../src/lossless/lossless.js';
import type { LosslessLink, SendPurpose } from '../../src/lossless/lossless-link.js';
import type { LosslessOptions } from '../../src/lossless/lossless-options.js';
import type { DigestPacket, IdentifiedMessagePacket } from '../../src/lossless/lossless-packets.js';
import { fastTimings } from '../../src/timings.js';

export interface Sent {
  from: string;
  to: string;
  purpose: SendPurpose;
  packet: IdentifiedMessagePacket | DigestPacket | { kind: 'message'; text: string };
}

export interface Delivered {
  text: string;
  origin: string | null;
  from: string;
}

/** One node's extension with its neighbours and everything it did, recorded. */
export class Node {
  readonly lossless: Lossless;
  readonly neighbours = new Set<string>();
  readonly delivered: Delivered[] = [];
  readonly windows = new Map<string, number | undefined>();
  readonly renegotiated: string[] = [];
  /** Messages for a neighbour being negotiated that its full hold refused. */
  readonly refused: Array<{ to: string; purpose: SendPurpose }> = [];

  constructor(
    readonly address: string,
    net: Net,
    init: {
      fresh?: boolean;
      epoch?: number;
      options?: Partial<LosslessOptions>;
      holdLimits?: HoldLimits;
    } = {},
  ) {
    const link: LosslessLink = {
      neighbours: () => this.neighbours,
      send: (to, packet, purpose) => net.post({ from: address, to, purpose, packet }),
      sendPlain: (to, text, purpose) =>
        net.post({ from: address, to, purpose, packet: { kind: 'message', text } }),
      holdFull: (to, purpose) => {
        this.refused.push({ to, purpose });
      },
      deliver: (text, origin, from) => this.delivered.push({ text, origin, from }),
      renegotiate: (parent) => this.renegotiated.push(parent),
      setWindow: (neighbour, window) => this.windows.set(neighbour, window),
    };
    this.lossless = new Lossless({
      self: address,
      clock: net.clock,
      link,
      timings: fastTimings,
      epoch: init.epoch ?? 1_000,
      fresh: init.fresh ?? false,
      options: init.options,
      holdLimits: init.holdLimits,
    });
  }

  /** What this node sent, optionally only to `to`. */
  sentTo(net: Net, to?: string): Sent[] {
    return net.log.filter(
      (sent) => sent.from === this.address && (to === undefined || sent.to === to),
    );
  }
}

/**
 * Nodes wired through one FIFO queue of packets: `pump()` hands each packet to its addressee's
 * `receive` (what a connection would do), packets to addresses without a node only logged.
 */
export class Net {
  readonly clock = new ManualClock();
  readonly nodes = new Map<string, Node>();
  readonly log: Sent[] = [];
  readonly #queue: Sent[] = [];

  add(address: string, init?: ConstructorParameters<typeof Node>[2]): Node {
    const node = new Node(address, this, init);
    this.nodes.set(address, node);
    return node;
  }

  post(sent: Sent): void {
    this.log.push(sent);
    if (this.nodes.has(sent.to)) this.#queue.push(sent);
  }

  /** Delivers queued packets, and what they cause, until nothing is in flight. */
  pump(): void {
    for (let sent = this.#queue.shift(); sent !== undefined; sent = this.#queue.shift()) {
      const node = this.nodes.get(sent.to) as Node;
      const { packet } = sent;
      if (packet.kind === 'message')
        node.lossless.receive({ ...packet, source: addr(sent.from) }, sent.from);
      else node.lossless.receive(packet, sent.from);
    }
  }

  close(): void {
    for (const node of this.nodes.values()) node.lossless.close();
  }
}

export function addr(address: string) {
  const [host, port] = address.split(':');
  return { host: host as string, port: Number(port) };
}

/** An Identified Message of `origin` as a neighbour would send it. */
export function identified(
  origin: string,
  seq: number,
  options: { epoch?: number; start?: boolean; text?: string; author?: 'origin' | 'gateway' } = {},
): IdentifiedMessagePacket {
  return {
    kind: 'identified-message',
    source: addr('127.0.0.1:1'),
    author: options.author ?? 'origin',
    start: options.start ?? seq === 1,
    origin: addr(origin),
    epoch: options.epoch ?? 1_000,
    seq,
    text: options.text ?? `${origin}#${seq}`,
  };
}

/** The Capabilities our nodes offer and answer with by default (10.1.1). */
export const CAPS = { ids: 1, window: 32 };

/**
 * `child` offers and joins `parent`; the probe's outcome has not come back to the child, so both
 * hold the edge as being negotiated (10.1.2). Nothing pumped.
 */
export function joinUnanswered(parent: Node, child: Node): void {
  child.neighbours.add(parent.address);
  child.lossless.onParentNegotiating(parent.address);
  parent.lossless.onOffer(child.address, CAPS);
  parent.neighbours.add(child.address);
  parent.lossless.onChildJoined(child.address);
}

/** The steps of 10.1.2 for `child` under `parent` (offer, answer, Join), nothing pumped. */
export function join(parent: Node, child: Node): void {
  joinUnanswered(parent, child);
  child.lossless.onParentAnswered(parent.address, CAPS);
}

/** How many times `node` delivered `text`. */
export function deliveredCount(node: Node, text: string): number {
  return node.delivered.filter((d) => d.text === text).length;
}

/**
 * The smallest send queue (in Messages; 4 MiB of bytes) whose hold takes `held` Messages next to
 * a cache of `cacheEntries` (see holdBounds: the cache and the exchange's other packets get the rest).
 */
export function queueHolding(held: number, cacheEntries: number): HoldLimits {
  const bytes = 4 << 20;
  let messages = 1;
  while (holdBounds({ messages, bytes }, { messages: cacheEntries, bytes: 0 }).messages < held)
    messages++;
  return { messages, bytes };
}
