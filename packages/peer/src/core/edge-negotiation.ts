import type { Address, Frame } from '@p2p/codec';
import type { Logger } from '@p2p/stream';
import type { Lossless } from '../lossless/lossless.js';
import type { Transport } from '../transport.js';
import type { Neighbours } from './neighbours.js';
import type { RemoteSocket } from './role.js';
import type { TurnFloods } from './turn-floods.js';

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

/** What the negotiation needs of the node it runs in. */
export interface NegotiatingNode {
  /** The origin of this node's Messages, which its answers name. */
  readonly origin: Address;
  readonly neighbours: Neighbours;
  readonly transport: Transport;
  sourceFor(to: string): Address;
}

export interface EdgeNegotiationOptions {
  lossless: Lossless;
  /** Where an outcome's sends go. */
  floods: TurnFloods;
  logger: Logger;
  /** Whether a probe's offer is answered (the role's `answersOffer`); none: every one is. */
  answersOffer?: ((offer: Frame, remote: RemoteSocket) => boolean) | undefined;
}

/**
 * How the extension is negotiated on this node's edges (10.1.2): a probe's offer is answered on
 * its own connection (the parent's side), and a child probes its parent, settles the edge on the
 * outcome, and probes again while the parent is alive and the edge still negotiated.
 */
export class EdgeNegotiation {
  readonly #node: NegotiatingNode;
  readonly #lossless: Lossless;
  readonly #floods: TurnFloods;
  readonly #logger: Logger;
  /** Parents being probed now. */
  readonly #probing = new Set<string>();
  /** The parent's probes unanswered in a row (see MAX_UNANSWERED_PROBES). */
  #unanswered: { parent: string; probes: number } | undefined;
  #closed = false;

  constructor(node: NegotiatingNode, options: EdgeNegotiationOptions) {
    this.#node = node;
    this.#lossless = options.lossless;
    this.#floods = options.floods;
    this.#logger = options.logger;
    node.transport.answerOffers?.(
      {
        kind: 'capabilities-answer',
        source: node.origin,
        capabilities: { ids: 1, window: this.#lossless.options.window },
      },
      options.answersOffer,
    );
  }

  /** The parent edge waits for a negotiation: Messages for it are held (the cache keeps them). */
  hold(parent: string): void {
    this.#lossless.onParentNegotiating(parent);
  }

  /**
   * Child side, before the Join: probes `parent` with this node's offer on a connection of its
   * own (the edge is being negotiated meanwhile); resolves with how the parent took it.
   */
  async probe(parent: string): Promise<ProbeOutcome> {
    this.#lossless.onParentNegotiating(parent);
    const transport = this.#node.transport;
    if (transport.probe === undefined) return 'version-1';
    this.#probing.add(parent);
    try {
      const result = await transport.probe(parent, {
        kind: 'capabilities-offer',
        source: this.#node.sourceFor(parent),
        capabilities: { ids: 1, window: this.#lossless.options.window },
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
    if (this.#closed || this.#node.neighbours.parent !== parent) return;
    if (outcome === 'unanswered') {
      const probes = this.#unanswered?.parent === parent ? this.#unanswered.probes + 1 : 1;
      this.#unanswered = { parent, probes };
      if (probes < MAX_UNANSWERED_PROBES) return;
      this.#logger.info({ parent, probes }, 'the parent answers hellos but no probe: version 1');
    }
    this.#unanswered = undefined;
    this.#floods.run(() => {
      if (outcome === 'version-1' || outcome === 'unanswered')
        this.#lossless.onParentVersion1(parent);
      else this.#lossless.onParentAnswered(parent, outcome);
    });
  }

  /** Whether the parent edge is held for a negotiation (10.1.2 item 6). */
  isNegotiating(parent: string): boolean {
    return this.#lossless.edges.mode(parent) === 'negotiating';
  }

  /** Probes the parent again, its Join standing (10.1.2 item 6); once at a time. */
  renegotiate(parent: string): void {
    if (this.#closed || this.#probing.has(parent)) return;
    void this.probe(parent).then((outcome) => this.negotiated(parent, outcome));
  }

  /** `neighbour` is no longer one: its unanswered probes count no more. */
  forget(neighbour: string): void {
    if (this.#unanswered?.parent === neighbour) this.#unanswered = undefined;
  }

  close(): void {
    this.#closed = true;
  }
}
