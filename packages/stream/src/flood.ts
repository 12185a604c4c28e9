import { callSafely } from './call-safely.js';
import type { StreamError } from './errors.js';

/** How a flood went, once every target has settled. */
export interface FloodReport {
  /** Targets the frame was handed to (or refused for). */
  targets: number;
  /** Targets that acknowledged it. */
  acknowledged: number;
  /**
   * Why each other target failed; `error.remote` names it when its address was valid. Read-only:
   * the reports of floods without a failure share one empty list.
   */
  failures: readonly StreamError[];
}

/** The failures of every flood that had none. */
const NO_FAILURES: readonly StreamError[] = Object.freeze([]);

/** Called once per flood, after every target settled. */
export type FloodReporter = (report: FloodReport) => void;

/**
 * The shared record of one flood: every queued send of the flood points at it, so a flood to n
 * neighbours allocates no closure nor promise per neighbour. The report is made when the last
 * target settles.
 */
export class FloodTally {
  readonly #report: FloodReporter;
  /** Targets not yet settled, plus one while the flood is still handing out the frame. */
  #left = 1;
  #targets = 0;
  #acknowledged = 0;
  /** Made at the first failure: most floods have none, and a flood in flight costs its memory. */
  #failures: StreamError[] | undefined;

  constructor(report: FloodReporter) {
    this.#report = report;
  }

  /** One more target will settle through this tally. */
  add(): void {
    this.#targets++;
    this.#left++;
  }

  /** A target settled: acknowledged (no error) or failed. */
  settle(error: StreamError | undefined): void {
    if (error === undefined) this.#acknowledged++;
    else if (this.#failures === undefined) this.#failures = [error];
    else this.#failures.push(error);
    if (--this.#left === 0) this.#done();
  }

  /** Every target has been handed the frame; the report follows the last to settle. */
  sealed(): void {
    if (--this.#left === 0) this.#done();
  }

  #done(): void {
    callSafely(this.#report, {
      targets: this.#targets,
      acknowledged: this.#acknowledged,
      failures: this.#failures ?? NO_FAILURES,
    });
  }
}
