import { type Address, type Frame, IDENTITY_LENGTH, type Packet } from '@p2p/codec';
import type { Logger } from '@p2p/stream';
import type { DropReason, NodeCounters } from '../events.js';
import { DEFAULT_HOLD_LIMITS, type HoldLimits } from '../lossless/held-messages.js';
import { Lossless } from '../lossless/lossless.js';
import type { LosslessCounters, LosslessLink, LosslessVerdict } from '../lossless/lossless-link.js';
import type { LosslessOptions } from '../lossless/lossless-options.js';
import type { Timings } from '../timings.js';
import type { Transport } from '../transport.js';
import { EdgeNegotiation, type ProbeOutcome } from './edge-negotiation.js';
import type { BroadcastResult, Flooding } from './flooding.js';
import { LosslessSends } from './lossless-sends.js';
import { NeighbourList } from './neighbour-list.js';
import type { Neighbours, TreeEventSink } from './neighbours.js';
import { ReceivedPackets } from './received-packets.js';
import type { RemoteSocket } from './role.js';
import type { TurnClock } from './turn-clock.js';
import { TurnFloods } from './turn-floods.js';

/** What the extension needs of the tree core it runs in. */
export interface LosslessHost {
  readonly self: Address;
  /** The origin of this node's Messages (never 0.0.0.0). */
  readonly origin: Address;
  readonly neighbours: Neighbours;
  readonly counters: NodeCounters;
  readonly transport: Transport;
  sourceFor(to: string): Address;
  send(to: string, packet: Packet): Promise<boolean>;
  drop(reason: DropReason, packet: { kind: Frame['kind'] }, from: string): void;
}

export interface LosslessNodeOptions {
  /** Held for each turn; the tree core's rate limit reads it too. */
  clock: TurnClock;
  logger: Logger;
  events: TreeEventSink;
  timings: Timings;
  flooding: Flooding;
  options?: Partial<LosslessOptions> | undefined;
  /** A peer starts fresh (its first Digest says `F`); the root does not. */
  fresh: boolean;
  /** Whether a probe's offer is answered (the role's `answersOffer`); none: every one is. */
  answersOffer?: ((offer: Frame, remote: RemoteSocket) => boolean) | undefined;
}

/** The extension's counters and what it holds, for status and metrics. */
export interface LosslessStats extends LosslessCounters {
  cachedMessages: number;
  cachedBytes: number;
  origins: number;
  /** Neighbours whose edge is lossless. */
  losslessEdges: string[];
}

/** What may be held for an edge being negotiated: what the transport queues for one remote. */
function holdLimits(transport: Transport): HoldLimits {
  const limits = transport.queueLimits;
  if (limits === undefined) return DEFAULT_HOLD_LIMITS;
  return { messages: limits.maxQueue, bytes: limits.maxQueueBytes };
}

/**
 * The lossless extension (docs/protocol.md) wired to a tree core: it feeds `Lossless`
 * what arrives, and turns what `Lossless` sends into frames and floods. The sends one received
 * packet causes are gathered and handed out as one flood per frame once `Lossless` is done with
 * it (`TurnFloods`); an Identified Message forwarded unchanged is the received frame re-sourced
 * (`LosslessSends`). The edges are negotiated by `EdgeNegotiation`.
 */
export class LosslessNode {
  readonly lossless: Lossless;
  readonly #host: LosslessHost;
  readonly #flooding: Flooding;
  /** `Lossless`'s clock: one reading of the time per turn. */
  readonly #clock: TurnClock;
  readonly #floods: TurnFloods;
  readonly #negotiation: EdgeNegotiation;
  readonly #neighbours: NeighbourList;
  /** The frame being received, and from whom, while `Lossless` handles it. */
  #incoming: Frame | undefined;
  #incomingFrom = '';
  /** Received Message frames as packets, without an object per Message. */
  readonly #packets: ReceivedPackets;

  constructor(host: LosslessHost, options: LosslessNodeOptions) {
    this.#host = host;
    this.#packets = new ReceivedPackets(host.self);
    this.#flooding = options.flooding;
    this.#clock = options.clock;
    const floods = new TurnFloods({
      self: host.self,
      counters: host.counters,
      transport: host.transport,
      clock: this.#clock,
      logger: options.logger,
    });
    this.#floods = floods;
    const sends = new LosslessSends(host, this.#flooding, floods);
    const neighbours = new NeighbourList(host.neighbours);
    this.#neighbours = neighbours;
    const events = options.events;
    const link: LosslessLink = {
      neighbours: () => neighbours.current(),
      send: (to, packet, purpose) => sends.send(to, packet, purpose, this.#incoming),
      sendPlain: (to, text, purpose) =>
        sends.sendPlain(to, text, purpose, this.#incoming, this.#incomingFrom),
      holdFull: (to) => floods.holdFull(to),
      deliver: (text, origin, from) => {
        host.counters.messagesDelivered++;
        events.emit('message', { text, from, origin });
      },
      renegotiate: (parent) => this.renegotiate(parent),
      setWindow: (neighbour, window) => host.transport.setWindow?.(neighbour, window),
    };
    this.lossless = new Lossless({
      self: host.origin,
      clock: this.#clock,
      link,
      timings: options.timings,
      options: options.options,
      fresh: options.fresh,
      holdLimits: holdLimits(host.transport),
    });
    this.#negotiation = new EdgeNegotiation(host, {
      lossless: this.lossless,
      floods,
      logger: options.logger,
      answersOffer: options.answersOffer,
    });
  }

  stats(): LosslessStats {
    const edges = this.lossless.edges;
    return {
      ...this.lossless.counters,
      ...this.lossless.usage,
      losslessEdges: this.#neighbours.current().filter((n) => edges.mode(n) === 'lossless'),
    };
  }

  /** Originates a Message; resolves like `Flooding.broadcast`. */
  broadcast(text: string): Promise<BroadcastResult> {
    try {
      this.#flooding.check(text);
    } catch (error) {
      return Promise.reject(error);
    }
    this.#host.counters.messagesOriginated++;
    return this.#floods.broadcast(() => this.lossless.originate(text));
  }

  /** A Message or Identified Message frame from a neighbour, admitted by its rate. */
  receiveMessage(frame: Frame, from: string): void {
    // One reading of the time for the rate limit and the turn (the tree core shares this clock).
    const held = this.#clock.hold();
    try {
      this.#receiveMessage(frame, from);
    } finally {
      if (held) this.#clock.release();
    }
  }

  #receiveMessage(frame: Frame, from: string): void {
    if (!this.#flooding.admit(frame, from)) return;
    const outer = this.#incoming;
    const outerFrom = this.#incomingFrom;
    this.#incoming = frame;
    this.#incomingFrom = from;
    const floods = this.#floods;
    const turn = floods.begin();
    let verdict: LosslessVerdict;
    try {
      const packet = this.#packets.packetOf(frame);
      // The text's UTF-8 length is the body's less the identifier: the cache need not count it.
      verdict =
        frame.identity === undefined
          ? this.lossless.receive(packet, from)
          : this.lossless.receive(packet, from, frame.length - IDENTITY_LENGTH);
    } finally {
      if (turn !== undefined) floods.end(turn);
      this.#incoming = outer;
      this.#incomingFrom = outerFrom;
    }
    if (verdict !== 'new' && verdict !== 'digest' && verdict !== 'held' && verdict !== 'inherited')
      this.#host.drop(verdict, frame, from);
  }

  /** A Digest, or a Capabilities packet on a usual connection (an offer: 10.1.2 item 2). */
  receiveControl(packet: Packet, from: string): void {
    const host = this.#host;
    if (packet.kind === 'digest') {
      if (host.neighbours.parent !== from && !host.neighbours.isChild(from)) {
        host.drop('not-a-neighbour', packet, from);
        return;
      }
      this.#floods.run(() => this.lossless.receive(packet, from));
      return;
    }
    if (packet.kind !== 'capabilities-offer') {
      host.drop('unexpected-kind', packet, from);
      return;
    }
    this.#floods.run(() => {
      const outcome = this.lossless.onOffer(from, packet.capabilities);
      // A child the root knows from its graph (restored, or put back by a hello) joins no more.
      if (outcome === 'remembered' && host.neighbours.isChild(from))
        this.lossless.onChildJoined(from);
    });
  }

  /** `child` joined, or became a child otherwise (the root's graph): lossless if it offered. */
  childJoined(child: string): void {
    this.#floods.run(() => this.lossless.onChildJoined(child));
  }

  /** `neighbour` is no longer one (a parent gone, the children's deferred Digests are answered). */
  edgeGone(neighbour: string): void {
    this.#negotiation.forget(neighbour);
    this.#floods.run(() => this.lossless.onEdgeGone(neighbour));
  }

  /** The parent edge waits for a negotiation: Messages for it are held (the cache keeps them). */
  holdParent(parent: string): void {
    this.#negotiation.hold(parent);
  }

  /** See {@link EdgeNegotiation.probe}. */
  probe(parent: string): Promise<ProbeOutcome> {
    return this.#negotiation.probe(parent);
  }

  /** See {@link EdgeNegotiation.negotiated}. */
  negotiated(parent: string, outcome: ProbeOutcome): void {
    this.#negotiation.negotiated(parent, outcome);
  }

  /** Whether the parent edge is held for a negotiation (10.1.2 item 6). */
  isNegotiating(parent: string): boolean {
    return this.#negotiation.isNegotiating(parent);
  }

  /** Probes the parent again, its Join standing (10.1.2 item 6); once at a time. */
  renegotiate(parent: string): void {
    this.#negotiation.renegotiate(parent);
  }

  close(): void {
    this.#negotiation.close();
    this.lossless.close();
  }
}
