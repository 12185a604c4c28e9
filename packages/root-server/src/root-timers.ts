import type { Clock, TimerHandle } from '@p2p/peer';
import type { Logger } from '@p2p/stream';
import type { RootNode } from './root-node.js';

/** What {@link RootTimers} runs, and how often. */
export interface RootTimersOptions {
  node: RootNode;
  clock: Clock;
  logger: Logger;
  rootTimeout: number;
  /** Forget registrations silent this long (ms); Infinity: never. */
  forgetAfter: number;
  /** Called after each sweep, failed or not (the rates are sampled then). */
  afterSweep: () => void;
}

/**
 * The root service's periodic work on the injected clock: the sweep (protocol.md 5.6.5), writing
 * the liveness to the store, and forgetting long-silent registrations. A failing pass is logged
 * and the next one runs on time.
 */
export class RootTimers {
  readonly #clock: Clock;
  readonly #logger: Logger;
  /** The pending timer of each periodic pass. */
  readonly #handles: TimerHandle[] = [];
  #stopped = false;

  constructor(options: RootTimersOptions) {
    const { node, rootTimeout, forgetAfter, afterSweep } = options;
    this.#clock = options.clock;
    this.#logger = options.logger;
    // Often enough that a silent node is turned off within a few percent of the root timeout.
    this.#repeat('sweep failed', Math.max(10, Math.min(1_000, rootTimeout / 8)), () => {
      try {
        node.sweep(rootTimeout);
      } finally {
        afterSweep();
      }
    });
    this.#repeat('writing liveness to the store failed', 5_000, () => node.registry.flush());
    if (forgetAfter !== Number.POSITIVE_INFINITY) {
      // Each pass reads every registration: a tenth of the forget time, at most once a minute.
      this.#repeat(
        'forgetting registrations failed',
        Math.max(10, Math.min(60_000, forgetAfter / 10)),
        () => node.forgetSilent(forgetAfter),
      );
    }
  }

  /** Stops every timer. Idempotent. */
  stop(): void {
    this.#stopped = true;
    for (const handle of this.#handles) this.#clock.clearTimeout(handle);
  }

  /**
   * Runs `pass` every `every` ms until {@link stop}; a pass that fails is logged as `failure`. The
   * next pass is timed from the end of one that returns a promise: passes never overlap.
   */
  #repeat(failure: string, every: number, pass: () => unknown): void {
    const slot = this.#handles.length;
    const next = () => {
      if (!this.#stopped) this.#handles[slot] = this.#clock.setTimeout(tick, every);
    };
    const failed = (error: unknown) =>
      this.#logger.error({ err: (error as Error).message }, failure);
    const tick = () => {
      let result: unknown;
      try {
        result = pass();
      } catch (error) {
        failed(error);
      }
      if (result instanceof Promise) result.catch(failed).finally(next);
      else next();
    };
    this.#handles.push(this.#clock.setTimeout(tick, every));
  }
}
