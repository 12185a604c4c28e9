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

  /** Runs `pass` every `every` ms until {@link stop}; a pass that throws is logged as `failure`. */
  #repeat(failure: string, every: number, pass: () => void): void {
    const slot = this.#handles.length;
    const tick = () => {
      try {
        pass();
      } catch (error) {
        this.#logger.error({ err: (error as Error).message }, failure);
      }
      if (!this.#stopped) this.#handles[slot] = this.#clock.setTimeout(tick, every);
    };
    this.#handles.push(this.#clock.setTimeout(tick, every));
  }
}
