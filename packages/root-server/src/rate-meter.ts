import type { Clock } from '@p2p/peer';

const WINDOW_MS = 10_000;

/** Events per second over the last ten seconds, from samples of a running total (hellos, messages). */
export class RateMeter {
  readonly #clock: Clock;
  readonly #samples: Array<{ at: number; total: number }> = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  sample(total: number): void {
    const now = this.#clock.now();
    this.#samples.push({ at: now, total });
    while (this.#samples.length > 2 && (this.#samples[0]?.at ?? now) < now - WINDOW_MS)
      this.#samples.shift();
  }

  perSecond(total: number): number {
    const oldest = this.#samples[0];
    const elapsed = oldest === undefined ? 0 : this.#clock.now() - oldest.at;
    return elapsed <= 0 ? 0 : ((total - (oldest?.total ?? 0)) * 1_000) / elapsed;
  }
}
