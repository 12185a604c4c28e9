/** A packet sent before a cut times out up to the transport's ACK timeout (10 s by default) later. */
const CUT_ECHO_MS = 10_000;
/** How many root timeouts a root that hears nobody holds its tree before it sweeps as usual. */
const LONGEST_CUT = 10;

/**
 * Whether the root itself is cut off (protocol.md 5.6.5). With nodes in its tree, hellos reach
 * the root every hello interval; when none has come for half the root timeout, it is the root
 * that hears nobody, not every node that failed at the same moment: it must not turn the tree
 * off for its own silence. Nodes keep their places, so when hellos come again each is given a
 * fresh start, and those really gone are turned off one root timeout later.
 *
 * Only a root that has heard hellos can lose them: until the first one it sweeps as usual (a
 * restarted root gives restored nodes their grace period instead). And it waits ten root
 * timeouts at most: a lone node that dies in silence looks like a cut, and must still leave.
 */
export class RootSilence {
  readonly #bound: number;
  readonly #longest: number;
  readonly #echo: number;
  #lastHello = Number.NEGATIVE_INFINITY;
  /** When the last cut ended (hellos came again), or -Infinity. */
  #cutEndedAt = Number.NEGATIVE_INFINITY;

  constructor(rootTimeout: number) {
    // Half the root timeout: past every gap between hellos of a live tree (4.5 hello intervals
    // at the reference proportions), and early enough that no node expires first.
    this.#bound = rootTimeout / 2;
    this.#longest = LONGEST_CUT * rootTimeout;
    this.#echo = Math.max(rootTimeout, CUT_ECHO_MS);
  }

  /** True while the root hears no hello although `alive` nodes are in its tree. */
  cutOff(now: number, alive: number): boolean {
    const silence = now - this.#lastHello;
    return alive > 0 && silence > this.#bound && silence <= this.#longest;
  }

  /** A hello arrived: true when it ends a cut (the caller then gives every node a fresh start). */
  heard(now: number, alive: number): boolean {
    const ended = this.cutOff(now, alive);
    if (ended) this.#cutEndedAt = now;
    this.#lastHello = now;
    return ended;
  }

  /**
   * A connection failure that only says the node did not answer in time (`timedOut`) proves
   * nothing while the root is cut off, or shortly after: the root's own silence explains it.
   */
  explains(now: number, alive: number, timedOut: boolean): boolean {
    return timedOut && (this.cutOff(now, alive) || now - this.#cutEndedAt <= this.#echo);
  }
}
