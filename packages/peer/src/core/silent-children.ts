import type { Clock, TimerHandle } from '../clock.js';

/**
 * When each child was last heard from (its Join, or a hello it sent or relayed), and which have
 * been silent too long. A parent never learns that a child left when the Leave is lost (the
 * parent was stopped when it was sent) or never sent (a reference child): without this, it would
 * forward Messages to that child forever. A live child sends or relays a hello at least once per
 * peer timeout plus a hello interval (it fails over when its hello goes unanswered that long).
 */
export class SilentChildren {
  readonly #heard = new Map<string, number>();
  readonly #clock: Clock;
  readonly #onSilent: (child: string) => void;
  #limit: number | undefined;
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, onSilent: (child: string) => void) {
    this.#clock = clock;
    this.#onSilent = onSilent;
  }

  /** Starts dropping children not heard from for `ms` (until then, children are kept forever). */
  expireAfter(ms: number): void {
    this.#limit = ms;
    this.#arm();
  }

  heard(child: string): void {
    this.#heard.set(child, this.#clock.now());
    this.#arm();
  }

  forget(child: string): void {
    this.#heard.delete(child);
  }

  stop(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#limit = undefined;
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#limit === undefined) return;
    let oldest = Number.POSITIVE_INFINITY;
    for (const at of this.#heard.values()) oldest = Math.min(oldest, at);
    if (oldest === Number.POSITIVE_INFINITY) return;
    this.#timer = this.#clock.setTimeout(
      () => this.#sweep(),
      Math.max(0, oldest + this.#limit - this.#clock.now()),
    );
  }

  #sweep(): void {
    this.#timer = undefined;
    if (this.#limit === undefined) return;
    const now = this.#clock.now();
    for (const [child, at] of this.#heard) {
      if (now - at < this.#limit) continue;
      this.#heard.delete(child);
      this.#onSilent(child);
    }
    this.#arm();
  }
}
