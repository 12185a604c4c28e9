import type { Clock } from '../clock.js';
import type { NeighbourRole } from '../events.js';

/**
 * How a neighbour is spoken to (docs/protocol.md 10.1.2): `lossless` (Identified
 * Messages, Digests, the negotiated window), `v1` (plain Messages, lock-step), or `negotiating`
 * (a probe is out: nothing is sent to it until the outcome is known).
 */
export type EdgeMode = 'negotiating' | 'lossless' | 'v1';

interface Edge {
  role: NeighbourRole;
  mode: EdgeMode;
  /** The window the other side offered or answered, on a lossless edge. */
  theirWindow: number | undefined;
}

interface Offer {
  window: number;
  at: number;
}

export interface EdgeModesOptions {
  clock: Clock;
  /** This node's own window, offered and answered. */
  window: number;
  /** How long (ms) an answered offer waits for its Join: one peer timeout. */
  offerLifetime: number;
  /** The most offers remembered; the oldest is forgotten first. */
  maxOffers?: number;
}

/** The default bound on remembered offers. */
export const MAX_REMEMBERED_OFFERS = 256;

/**
 * The mode of each edge, and the offers a parent answered and remembers until the offering node
 * joins. A neighbour it knows nothing of is `v1`. An edge is forgotten with its neighbour.
 */
/** The largest send window the stream takes. */
const MAX_WINDOW = 65_536;

export class EdgeModes {
  readonly #options: EdgeModesOptions;
  readonly #edges = new Map<string, Edge>();
  /** In order of arrival: the first is the oldest. Created with the first offer (a leaf has none). */
  #offers: Map<string, Offer> | undefined;

  constructor(options: EdgeModesOptions) {
    this.#options = options;
  }

  mode(neighbour: string): EdgeMode {
    return this.#edges.get(neighbour)?.mode ?? 'v1';
  }

  role(neighbour: string): NeighbourRole | undefined {
    return this.#edges.get(neighbour)?.role;
  }

  /** The window to send with towards `neighbour`: the smaller offer on a lossless edge, else none. */
  window(neighbour: string): number | undefined {
    const edge = this.#edges.get(neighbour);
    if (edge?.mode !== 'lossless') return undefined;
    // The other side's value is clamped to what a window can be (1 to 65,536): a capability of 0
    // or out of range, as sent by a broken or hostile node, must not reach the transport.
    const theirs = Math.min(MAX_WINDOW, Math.max(1, edge.theirWindow ?? 1));
    return Math.min(this.#options.window, theirs);
  }

  /** How many offers are remembered now. */
  get offers(): number {
    this.#forgetOldOffers();
    return this.#offers?.size ?? 0;
  }

  /**
   * Parent side: an offer came in and was answered. It is remembered for the Join to come; from a
   * current child (a renegotiation) it also puts that edge in negotiation, unless it is lossless
   * already: either way the child's Digest decides (10.1.2 item 5).
   */
  offered(from: string, theirWindow: number): 'negotiating' | 'lossless' | 'remembered' {
    this.#forgetOldOffers();
    const edge = this.#edges.get(from);
    this.#offers ??= new Map();
    const offers = this.#offers;
    offers.delete(from);
    offers.set(from, { window: theirWindow, at: this.#options.clock.now() });
    const max = this.#options.maxOffers ?? MAX_REMEMBERED_OFFERS;
    while (offers.size > max) offers.delete(offers.keys().next().value as string);
    if (edge?.role !== 'child') return 'remembered';
    const mode = edge.mode === 'lossless' ? 'lossless' : 'negotiating';
    this.set(from, 'child', mode, theirWindow);
    return mode;
  }

  /**
   * Parent side: `child` joined (or was put back from the root's graph). If it offered within the
   * offer lifetime the edge is negotiated until its Digest comes; version 1 otherwise, also over an
   * edge that was lossless (the child came back without the extension).
   */
  childJoined(child: string): EdgeMode {
    this.#forgetOldOffers();
    // A child already on a lossless edge that joins again (it took its parent back while the root
    // was away, and sends its Join with each hello) keeps the edge: its offer may have expired.
    const known = this.#edges.get(child);
    if (known?.role === 'child' && known.mode === 'lossless') return 'lossless';
    const offer = this.#offers?.get(child);
    if (offer === undefined) this.set(child, 'child', 'v1');
    else this.set(child, 'child', 'negotiating', offer.window);
    return this.mode(child);
  }

  /**
   * Sets an edge outright (the child side's probe outcomes go through here). The other side's
   * window is kept while the edge is negotiated, for when it turns lossless; failing that, its
   * remembered offer says it.
   */
  set(neighbour: string, role: NeighbourRole, mode: EdgeMode, theirWindow?: number): void {
    const known = this.#edges.get(neighbour);
    const window =
      mode === 'v1'
        ? undefined
        : (theirWindow ?? known?.theirWindow ?? this.#offers?.get(neighbour)?.window);
    this.#edges.set(neighbour, { role, mode, theirWindow: window });
  }

  /** The neighbour stopped being one: its mode and window go (its offer stays until it expires). */
  forget(neighbour: string): void {
    this.#edges.delete(neighbour);
  }

  #forgetOldOffers(): void {
    const offers = this.#offers;
    if (offers === undefined) return;
    const now = this.#options.clock.now();
    for (const [from, offer] of offers) {
      if (now - offer.at < this.#options.offerLifetime) return;
      offers.delete(from);
    }
  }
}
