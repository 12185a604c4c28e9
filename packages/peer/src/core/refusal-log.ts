import type { Logger } from '@p2p/stream';
import type { Clock } from '../clock.js';

/** Remotes remembered at most; past it the memory starts over (a flood of addresses logs more). */
const MAX_REMOTES = 1024;

/**
 * The warning for packets refused by a source-IP check, at most once per connection host per
 * `interval`: a child whose connections leave from another IP than it claims (several interfaces,
 * NAT hairpin, VPN) has every packet of the checked kinds refused, thousands a second in a burst,
 * and one line each would flood the log. The first refusal from a host is logged at once; the
 * next one logged, an interval later at the earliest, says how many were refused unlogged meanwhile
 * (`unlogged`). The drops are counted in full elsewhere (`dropped['spoofed-source']`).
 */
export class RefusalLog {
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #interval: number;
  /** By connection host: when it was last logged, and the refusals since. */
  readonly #remotes = new Map<string, { loggedAt: number; unlogged: number }>();

  constructor(clock: Clock, logger: Logger, interval = 60_000) {
    this.#clock = clock;
    this.#logger = logger;
    this.#interval = interval;
  }

  /** A packet of `kind` claiming `claimed` was refused on a connection from `connection`. */
  refused(claimed: string, connection: string, kind: string): void {
    const now = this.#clock.now();
    const seen = this.#remotes.get(connection);
    if (seen !== undefined && now - seen.loggedAt < this.#interval) {
      seen.unlogged++;
      return;
    }
    const unlogged = seen?.unlogged ?? 0;
    if (seen === undefined && this.#remotes.size >= MAX_REMOTES) this.#remotes.clear();
    this.#remotes.set(connection, { loggedAt: now, unlogged: 0 });
    this.#logger.warn(
      { claimed, connection, kind, ...(unlogged > 0 ? { unlogged } : {}) },
      "refused: claimed address is not the connection's",
    );
  }
}
