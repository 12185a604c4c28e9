import { type Address, type Frame, IDENTITY_LENGTH, type Packet } from '@p2p/codec';
import type { Logger } from '@p2p/stream';
import type { DropReason, NodeCounters } from '../events.js';
import { DEFAULT_HOLD_LIMITS, type HoldLimits } from '../lossless/held-messages.js';
import { Lossless } from '../lossless/lossless.js';
import type {
  LosslessCounters,
  LosslessLink,
  LosslessVerdict,
  PlainMessagePacket,
} from '../lossless/lossless-link.js';
import type { LosslessOptions } from '../lossless/lossless-options.js';
import type { IdentifiedMessagePacket } from '../lossless/lossless-packets.js';
import type { Timings } from '../timings.js';
import type { Transport } from '../transport.js';
import type { BroadcastResult, Flooding } from './flooding.js';
import { LosslessSends } from './lossless-sends.js';
import type { Neighbours, TreeEventSink } from './neighbours.js';
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

/**
 * How a parent took a probe (10.1.2 item 3): its capabilities, `version-1` (acknowledged without
 * an answer, closed, refused or reset), or `unanswered` (nothing within the connect or ACK
 * timeout: the parent is unresponsive, and nothing is decided about the edge).
 */
export type ProbeOutcome = Record<string, number> | 'version-1' | 'unanswered';

/** The probe's failures that say the parent is unresponsive rather than without the extension. */
const UNANSWERED = new Set(['ERR_STREAM_ACK_TIMEOUT', 'ERR_STREAM_CONNECT_TIMEOUT']);

/**
 * Probes in a row that a parent leaves unanswered, each after a hello it answered, before its
 * edge is settled on version 1 (10.1.2 item 6): it is alive, and the probe never gets through.
 */
const MAX_UNANSWERED_PROBES = 3;

/** What may be held for an edge being negotiated: what the transport queues for one remote. */
function holdLimits(transport: Transport): HoldLimits {
  const limits = transport.queueLimits;
  if (limits === undefined) return DEFAULT_HOLD_LIMITS;
  return { messages: limits.maxQueue, bytes: limits.maxQueueBytes };
}

/** The extension's counters and what it holds, for status and metrics. */
export interface LosslessStats extends LosslessCounters {
  cachedMessages: number;
  cachedBytes: number;
  origins: number;
  /** Neighbours whose edge is lossless. */
  losslessEdges: string[];
}

/**
 * The lossless extension (docs/protocol.md) wired to a tree core: it feeds `Lossless`
 * what arrives, and turns what `Lossless` sends into frames and floods. The sends one received
 * packet causes are gathered and handed out as one flood per frame once `Lossless` is done with
 * it (`TurnFloods`); an Identified Message forwarded unchanged is the received frame re-sourced
 * (`LosslessSends`).
 */
export class LosslessNode {
  readonly lossless: Lossless;
  readonly #host: LosslessHost;
  readonly #events: TreeEventSink;
  readonly #logger: Logger;
  readonly #flooding: Flooding;
  /** `Lossless`'s clock: one reading of the time per turn. */
  readonly #clock: TurnClock;
  readonly #floods: TurnFloods;
  /** The frame being received, and from whom, while `Lossless` handles it. */
  #incoming: Frame | undefined;
  #incomingFrom = '';
  /** See `#packetOf`. */
  readonly #scratch: IdentifiedMessagePacket;
  /** See `#neighbours`. */
  #lastNeighbours: string[] = [];
  /** Parents being probed now. */
  readonly #probing = new Set<string>();
  /** The parent's probes unanswered in a row (see MAX_UNANSWERED_PROBES). */
  #unanswered: { parent: string; probes: number } | undefined;
  #closed = false;

  constructor(host: LosslessHost, options: LosslessNodeOptions) {
    this.#host = host;
    this.#scratch = {
      kind: 'identified-message',
      source: host.self,
      author: 'origin',
      start: false,
      origin: host.self,
      epoch: 0,
      seq: 1,
      text: '',
    };
    this.#events = options.events;
    this.#logger = options.logger;
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
    const link: LosslessLink = {
      neighbours: () => this.#neighbours(),
      send: (to, packet, purpose) => sends.send(to, packet, purpose, this.#incoming),
      sendPlain: (to, text, purpose) =>
        sends.sendPlain(to, text, purpose, this.#incoming, this.#incomingFrom),
      holdFull: (to) => floods.holdFull(to),
      deliver: (text, origin, from) => {
        host.counters.messagesDelivered++;
        this.#events.emit('message', { text, from, origin });
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
    const { window } = this.lossless.options;
    host.transport.answerOffers?.(
      {
        kind: 'capabilities-answer',
        source: host.origin,
        capabilities: { ids: 1, window },
      },
      options.answersOffer,
    );
  }

  stats(): LosslessStats {
    const edges = this.lossless.edges;
    return {
      ...this.lossless.counters,
      ...this.lossless.usage,
      losslessEdges: this.#neighbours().filter((n) => edges.mode(n) === 'lossless'),
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
      const packet = this.#packetOf(frame);
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

  /**
   * The packet of a received Message frame. An Identified Message's is this node's one scratch
   * packet, filled in for the call: `Lossless.receive` keeps nothing of the packet itself, and
   * reading `frame.packet` would build (and keep with the frame) an object per Message.
   */
  #packetOf(frame: Frame): IdentifiedMessagePacket | PlainMessagePacket {
    const identity = frame.identity;
    if (identity === undefined) return frame.packet as PlainMessagePacket;
    const packet = this.#scratch;
    packet.source = frame.source;
    packet.author = identity.author;
    packet.start = identity.start;
    packet.origin = identity.origin;
    packet.epoch = identity.epoch;
    packet.seq = identity.seq;
    packet.text = frame.text as string;
    return packet;
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
    if (this.#unanswered?.parent === neighbour) this.#unanswered = undefined;
    this.#floods.run(() => this.lossless.onEdgeGone(neighbour));
  }

  /** The parent edge waits for a negotiation: Messages for it are held (the cache keeps them). */
  holdParent(parent: string): void {
    this.lossless.onParentNegotiating(parent);
  }

  /**
   * Child side, before the Join: probes `parent` with this node's offer on a connection of its
   * own (the edge is being negotiated meanwhile); resolves with how the parent took it.
   */
  async probe(parent: string): Promise<ProbeOutcome> {
    this.lossless.onParentNegotiating(parent);
    const transport = this.#host.transport;
    if (transport.probe === undefined) return 'version-1';
    this.#probing.add(parent);
    try {
      const result = await transport.probe(parent, {
        kind: 'capabilities-offer',
        source: this.#host.sourceFor(parent),
        capabilities: { ids: 1, window: this.lossless.options.window },
      });
      this.#logger.debug({ parent, outcome: result.outcome }, 'parent probed');
      if (result.outcome === 'refused' && UNANSWERED.has(result.error.code ?? ''))
        return 'unanswered';
      if (result.outcome !== 'answered' || result.packet.kind !== 'capabilities-answer')
        return 'version-1';
      return result.packet.capabilities;
    } catch (error) {
      this.#logger.debug({ parent, err: (error as Error).message }, 'probe failed');
      return 'version-1';
    } finally {
      this.#probing.delete(parent);
    }
  }

  /**
   * Child side, after the Join: the probe's outcome (the Digest follows the Join). Unanswered
   * decides nothing: the edge stays negotiated, and the parent is probed again once a hello is
   * answered through it (10.1.2 item 4); but the `MAX_UNANSWERED_PROBES`th in a row settles it
   * on version 1, else what waits for the parent would wait for as long as it lives.
   */
  negotiated(parent: string, outcome: ProbeOutcome): void {
    if (this.#closed || this.#host.neighbours.parent !== parent) return;
    if (outcome === 'unanswered') {
      const probes = this.#unanswered?.parent === parent ? this.#unanswered.probes + 1 : 1;
      this.#unanswered = { parent, probes };
      if (probes < MAX_UNANSWERED_PROBES) return;
      this.#logger.info({ parent, probes }, 'the parent answers hellos but no probe: version 1');
    }
    this.#unanswered = undefined;
    this.#floods.run(() => {
      if (outcome === 'version-1' || outcome === 'unanswered')
        this.lossless.onParentVersion1(parent);
      else this.lossless.onParentAnswered(parent, outcome);
    });
  }

  /** Whether the parent edge is held for a negotiation (10.1.2 item 6). */
  isNegotiating(parent: string): boolean {
    return this.lossless.edges.mode(parent) === 'negotiating';
  }

  /** Probes the parent again, its Join standing (10.1.2 item 6); once at a time. */
  renegotiate(parent: string): void {
    if (this.#closed || this.#probing.has(parent)) return;
    void this.probe(parent).then((outcome) => this.negotiated(parent, outcome));
  }

  close(): void {
    this.#closed = true;
    this.lossless.close();
  }

  /**
   * The parent, then the children. The list of the last call is returned again while it still
   * holds the same neighbours (they rarely change), so a flood makes no array per Message; callers
   * never change it, and a change of neighbours makes a new one.
   */
  #neighbours(): string[] {
    const neighbours = this.#host.neighbours;
    const parent = neighbours.parent;
    const last = this.#lastNeighbours;
    let same = true;
    let i = 0;
    if (parent !== null) same = last[i++] === parent;
    if (same) {
      for (const child of neighbours.children) {
        if (last[i++] !== child) {
          same = false;
          break;
        }
      }
    }
    if (same && i === last.length) return last;
    const made = parent === null ? [...neighbours.children] : [parent, ...neighbours.children];
    this.#lastNeighbours = made;
    return made;
  }
}
