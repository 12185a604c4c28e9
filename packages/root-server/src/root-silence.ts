/** A packet sent before a cut times out up to the transport's ACK timeout (10 s by default) later. */
const CUT_ECHO_MS = 10_000;
/** How many root timeouts a root that hears nobody holds its tree before it sweeps as usual. */
const LONGEST_CUT = 10;

/**
 * Whether the root itself is cut off (protocol.md 5.6.5). With nodes in its tree, hellos reach
 * the root every hello interval; when nothing at all has come from any node for three quarters
 * of the root timeout, it is the root that hears nobody, not every node that failed at the same moment: it
 * must not turn the tree off for its own silence. It holds the tree while cut off and for one
 * root timeout after (a fresh start: the nodes' hellos come back in that time), then those
 * really gone are turned off as usual.
 *
 * Only a root that has had a hello can lose them: until the first one it sweeps as usual (a
 * restarted root gives restored nodes their grace period instead). And it holds ten root
 * timeouts at most: a lone node that dies in silence looks like a cut, and must still leave.
 */
export class RootSilence {
  readonly #bound: number;
  readonly #rootTimeout: number;
  readonly #longest: number;
  readonly #echo: number;
  #helloHeard = false;
  #lastHeard = Number.NEGATIVE_INFINITY;
  /** When the last cut ended (a node heard again), or -Infinity. */
  #cutEndedAt = Number.NEGATIVE_INFINITY;

  constructor(rootTimeout: number) {
    // Three quarters of the root timeout: past every gap between hellos of a live tree, and past
    // the half peer timeout after which the orphans of silent nodes ask the root (their Advertise
    // then shows the root is not cut off); yet early enough that no node expires first (heard a
    // hello interval before the last, 8 of 9 intervals at the reference proportions).
    this.#bound = (rootTimeout * 3) / 4;
    this.#rootTimeout = rootTimeout;
    this.#longest = LONGEST_CUT * rootTimeout;
    this.#echo = Math.max(rootTimeout, CUT_ECHO_MS);
  }

  /** True while the root hears nothing although `alive` nodes are in its tree. */
  cutOff(now: number, alive: number): boolean {
    const silence = now - this.#lastHeard;
    return this.#helloHeard && alive > 0 && silence > this.#bound && silence <= this.#longest;
  }

  /**
   * True while cut off and for one root timeout after: nobody is turned off by timeout, nor
   * believed dead (their hellos have not had the time to come back).
   */
  holding(now: number, alive: number): boolean {
    return this.cutOff(now, alive) || now - this.#cutEndedAt <= this.#rootTimeout;
  }

  /** A packet from a node (a hello, Register, Advertise) arrived. */
  heard(now: number, alive: number, hello: boolean): void {
    if (this.cutOff(now, alive)) this.#cutEndedAt = now;
    this.#lastHeard = now;
    if (hello) this.#helloHeard = true;
  }

  /**
   * A connection failure that only says the node did not answer in time (`timedOut`) proves
   * nothing while the root is cut off, or shortly after: the root's own silence explains it.
   */
  explains(now: number, alive: number, timedOut: boolean): boolean {
    return timedOut && (this.cutOff(now, alive) || now - this.#cutEndedAt <= this.#echo);
  }
}
