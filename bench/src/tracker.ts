/** What a host is asked to watch: `messages` messages of run `run`, sent by `origin`. */
export interface TrackSpec {
  run: number;
  messages: number;
  /** The originating node, which does not deliver its own message. */
  origin: string;
}

/** What a host saw of one run. */
export interface TrackSummary {
  receivers: number;
  /** Distinct (receiver, message) deliveries. */
  delivered: number;
  /** Deliveries of a message a receiver already had. */
  duplicates: number;
  /** Receivers × messages that never arrived. */
  missing: number;
  /** Clock time of the last delivery (NaN if none). */
  lastAt: number;
}

/**
 * Counts the deliveries of one run on one host: which receiver has which message. When every
 * local receiver has message `seq`, `onComplete(seq, at)` reports it with the time of the last of
 * those deliveries.
 */
export class DeliveryTracker {
  readonly spec: TrackSpec;
  readonly #receivers: number;
  readonly #seen: Uint8Array[];
  readonly #count: Uint32Array;
  readonly #lastAt: Float64Array;
  readonly #onComplete: (seq: number, at: number) => void;
  #delivered = 0;
  #duplicates = 0;
  #last = Number.NaN;

  constructor(spec: TrackSpec, receivers: number, onComplete: (seq: number, at: number) => void) {
    this.spec = spec;
    this.#receivers = receivers;
    this.#seen = Array.from({ length: receivers }, () => new Uint8Array(spec.messages));
    this.#count = new Uint32Array(spec.messages);
    this.#lastAt = new Float64Array(spec.messages);
    this.#onComplete = onComplete;
  }

  /** Receiver number `receiver` (0 … receivers-1) delivered message `seq` at `at`. */
  deliver(receiver: number, seq: number, at: number): void {
    const seen = this.#seen[receiver];
    if (seen === undefined || seq < 0 || seq >= this.spec.messages) return;
    if (seen[seq] === 1) {
      this.#duplicates++;
      return;
    }
    seen[seq] = 1;
    this.#delivered++;
    this.#last = at;
    if (at > (this.#lastAt[seq] as number)) this.#lastAt[seq] = at;
    const count = (this.#count[seq] as number) + 1;
    this.#count[seq] = count;
    if (count === this.#receivers) this.#onComplete(seq, this.#lastAt[seq] as number);
  }

  summary(): TrackSummary {
    return {
      receivers: this.#receivers,
      delivered: this.#delivered,
      duplicates: this.#duplicates,
      missing: this.#receivers * this.spec.messages - this.#delivered,
      lastAt: this.#last,
    };
  }
}
