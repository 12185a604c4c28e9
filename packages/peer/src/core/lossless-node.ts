import { type Address, type Frame, type OutgoingFrame, type Packet, PacketFrame } from '@p2p/codec';
import type { Logger } from '@p2p/stream';
import type { Clock } from '../clock.js';
import type { DropReason, NodeCounters } from '../events.js';
import { Lossless } from '../lossless/lossless.js';
import type {
  LosslessCounters,
  LosslessLink,
  PlainMessagePacket,
  SendPurpose,
} from '../lossless/lossless-link.js';
import type { LosslessOptions } from '../lossless/lossless-options.js';
import type { DigestPacket, IdentifiedMessagePacket } from '../lossless/lossless-packets.js';
import type { Timings } from '../timings.js';
import type { Transport, TransportFloodReport } from '../transport.js';
import type { BroadcastResult, Flooding } from './flooding.js';
import type { Neighbours, TreeEventSink } from './neighbours.js';

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
  clock: Clock;
  logger: Logger;
  events: TreeEventSink;
  timings: Timings;
  flooding: Flooding;
  options?: Partial<LosslessOptions> | undefined;
  /** A peer starts fresh (its first Digest says `F`); the root does not. */
  fresh: boolean;
}

type Collect = (report: TransportFloodReport) => void;

/**
 * How a parent took a probe (10.1.2 item 3): its capabilities, `version-1` (acknowledged without
 * an answer, closed, refused or reset), or `unanswered` (nothing within the connect or ACK
 * timeout: the parent is unresponsive, and nothing is decided about the edge).
 */
export type ProbeOutcome = Record<string, number> | 'version-1' | 'unanswered';

/** The probe's failures that say the parent is unresponsive rather than without the extension. */
const UNANSWERED = new Set(['ERR_STREAM_ACK_TIMEOUT', 'ERR_STREAM_CONNECT_TIMEOUT']);

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
 * it; an Identified Message forwarded unchanged is the received frame re-sourced.
 */
export class LosslessNode {
  readonly lossless: Lossless;
  readonly #host: LosslessHost;
  readonly #events: TreeEventSink;
  readonly #logger: Logger;
  readonly #flooding: Flooding;
  /** Frames to flood at the end of the current turn, each with its targets, in order. */
  #batch:
    | Map<OutgoingFrame, { targets: string[]; kind: 'message' | 'identified-message' }>
    | undefined;
  /** Each frame built this turn, by what it encodes and the source it carries. */
  readonly #frames = new Map<unknown, Map<string, OutgoingFrame>>();
  #collect: Collect | undefined;
  #incoming: { frame: Frame; from: string } | undefined;
  /** Parents being probed now. */
  readonly #probing = new Set<string>();
  #closed = false;

  constructor(host: LosslessHost, options: LosslessNodeOptions) {
    this.#host = host;
    this.#events = options.events;
    this.#logger = options.logger;
    this.#flooding = options.flooding;
    const link: LosslessLink = {
      neighbours: () => this.#neighbours(),
      send: (to, packet, purpose) => this.#send(to, packet, purpose),
      sendPlain: (to, text, purpose) => this.#sendPlain(to, text, purpose),
      deliver: (text, origin, from) => {
        host.counters.messagesDelivered++;
        this.#events.emit('message', { text, from, origin });
      },
      renegotiate: (parent) => this.renegotiate(parent),
      setWindow: (neighbour, window) => host.transport.setWindow?.(neighbour, window),
    };
    this.lossless = new Lossless({
      self: host.origin,
      clock: options.clock,
      link,
      timings: options.timings,
      options: options.options,
      fresh: options.fresh,
    });
    const { window } = this.lossless.options;
    host.transport.answerOffers?.({
      kind: 'capabilities-answer',
      source: host.origin,
      capabilities: { ids: 1, window },
    });
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
    const result: BroadcastResult = { delivered: 0, failed: [] };
    return new Promise((resolve) => {
      let floods = 0;
      let done = false;
      const collect: Collect = (report) => {
        result.delivered += report.acknowledged;
        for (const failure of report.failures) result.failed.push(failure.remote ?? '');
        if (--floods === 0 && done) resolve(result);
      };
      this.#turn(() => this.lossless.originate(text), {
        collect,
        counted: () => floods++,
      });
      done = true;
      if (floods === 0) resolve(result);
    });
  }

  /** A Message or Identified Message frame from a neighbour, admitted by its rate. */
  receiveMessage(frame: Frame, from: string): void {
    if (!this.#flooding.admit(frame, from)) return;
    this.#incoming = { frame, from };
    try {
      const packet = frame.packet as IdentifiedMessagePacket | PlainMessagePacket;
      const verdict = this.#turn(() => this.lossless.receive(packet, from));
      if (
        verdict !== 'new' &&
        verdict !== 'digest' &&
        verdict !== 'held' &&
        verdict !== 'inherited'
      )
        this.#host.drop(verdict, frame, from);
    } finally {
      this.#incoming = undefined;
    }
  }

  /** A Digest, or a Capabilities packet on a usual connection (an offer: 10.1.2 item 2). */
  receiveControl(packet: Packet, from: string): void {
    const host = this.#host;
    if (packet.kind === 'digest') {
      if (host.neighbours.parent !== from && !host.neighbours.isChild(from)) {
        host.drop('not-a-neighbour', packet, from);
        return;
      }
      this.#turn(() => this.lossless.receive(packet, from));
      return;
    }
    if (packet.kind !== 'capabilities-offer') {
      host.drop('unexpected-kind', packet, from);
      return;
    }
    this.#turn(() => {
      const outcome = this.lossless.onOffer(from, packet.capabilities);
      // A child the root knows from its graph (restored, or put back by a hello) joins no more.
      if (outcome === 'remembered' && host.neighbours.isChild(from))
        this.lossless.onChildJoined(from);
    });
  }

  /** `child` joined, or became a child otherwise (the root's graph): lossless if it offered. */
  childJoined(child: string): void {
    this.#turn(() => this.lossless.onChildJoined(child));
  }

  /** `neighbour` is no longer one. */
  edgeGone(neighbour: string): void {
    this.lossless.onEdgeGone(neighbour);
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
   * answered through it (10.1.2 item 4).
   */
  negotiated(parent: string, outcome: ProbeOutcome): void {
    if (this.#closed || this.#host.neighbours.parent !== parent || outcome === 'unanswered') return;
    this.#turn(() => {
      if (outcome === 'version-1') this.lossless.onParentVersion1(parent);
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

  #neighbours(): string[] {
    const neighbours = this.#host.neighbours;
    const parent = neighbours.parent;
    return parent === null ? [...neighbours.children] : [parent, ...neighbours.children];
  }

  /**
   * Runs `work` (a call into `Lossless`) gathering its sends, then floods them: one flood per
   * frame. Nested turns join the outer one.
   */
  #turn<T>(work: () => T, broadcast?: { collect: Collect; counted: () => void }): T {
    if (this.#batch !== undefined) return work();
    this.#batch = new Map();
    try {
      return work();
    } finally {
      const batch = this.#batch;
      this.#batch = undefined;
      this.#frames.clear();
      for (const [frame, { targets, kind }] of batch) {
        this.#host.counters.packetsOut[kind] += targets.length;
        broadcast?.counted();
        this.#host.transport.flood(targets, frame, (report) => {
          this.#onFlooded(report);
          broadcast?.collect(report);
        });
      }
    }
  }

  #send(to: string, packet: IdentifiedMessagePacket | DigestPacket, purpose: SendPurpose): void {
    if (packet.kind === 'digest') {
      // Urgent, ahead of the Messages already queued for `to` (10.1.5); from the address `to`
      // knows this node by (the Digest names the origin, which may not be it).
      void this.#host.send(to, { ...packet, source: this.#host.sourceFor(to) });
      return;
    }
    const incoming = this.#incoming;
    const forwarded =
      purpose === 'forward' &&
      incoming?.frame.identity !== undefined &&
      incoming.frame.identity.seq === packet.seq &&
      incoming.frame.identity.epoch === packet.epoch;
    const frame = forwarded
      ? this.#frame(incoming.frame, to, (source) => incoming.frame.withSource(source))
      : this.#frame(packet, to, (source) => new PacketFrame({ ...packet, source }));
    if (purpose === 'forward') this.#host.counters.messagesForwarded++;
    this.#add(frame, to, 'identified-message');
  }

  #sendPlain(to: string, text: string, purpose: SendPurpose): void {
    const incoming = this.#incoming;
    const bytes = Buffer.byteLength(text, 'utf8');
    if (!this.#flooding.fits(to, bytes, incoming?.from ?? '')) return;
    const frame =
      incoming !== undefined && incoming.frame.identity === undefined && purpose === 'forward'
        ? this.#frame(incoming.frame, to, (source) => incoming.frame.withSource(source))
        : purpose === 'replay'
          ? // Each replayed entry its own frame: frames shared by text would merge equal texts in
            // the turn's batch and send a, b, a as a, a, b.
            new PacketFrame({ kind: 'message', source: this.#host.sourceFor(to), text })
          : this.#frame(text, to, (source) => new PacketFrame({ kind: 'message', source, text }));
    if (purpose === 'forward') this.#host.counters.messagesForwarded++;
    this.#add(frame, to, 'message');
  }

  /** The frame for `key` as sent to `to`, built once per source this turn. */
  #frame(key: unknown, to: string, make: (source: Address) => OutgoingFrame): OutgoingFrame {
    const source = this.#host.sourceFor(to);
    const sourceKey = `${source.host}:${source.port}`;
    let bySource = this.#frames.get(key);
    if (bySource === undefined) {
      bySource = new Map();
      this.#frames.set(key, bySource);
    }
    let frame = bySource.get(sourceKey);
    if (frame === undefined) {
      frame = make(source);
      bySource.set(sourceKey, frame);
    }
    return frame;
  }

  #add(frame: OutgoingFrame, to: string, kind: 'message' | 'identified-message'): void {
    if (this.#batch === undefined) {
      // A send outside any turn (none today): flood it alone.
      this.#turn(() => this.#add(frame, to, kind));
      return;
    }
    const group = this.#batch.get(frame);
    if (group === undefined) this.#batch.set(frame, { targets: [to], kind });
    else group.targets.push(to);
  }

  #onFlooded(report: TransportFloodReport): void {
    const failures = report.failures;
    if (failures.length === 0) return;
    this.#host.counters.sendFailures += failures.length;
    for (const error of failures)
      this.#logger.debug({ to: error.remote, err: error.message }, 'send failed');
  }
}
