import { sleep } from './clock.js';
import type { TrackSummary } from './tracker.js';

/**
 * The main process's view of one run: message `seq` is complete when every host with receivers
 * has reported it complete; its time is the latest of their times.
 */
export class RunWatch {
  readonly run: number;
  readonly messages: number;
  readonly #hosts: number;
  readonly #reported: Uint16Array;
  readonly #at: Float64Array;
  readonly #waiters = new Map<number, (at: number) => void>();
  completed = 0;

  constructor(run: number, messages: number, hosts: number) {
    this.run = run;
    this.messages = messages;
    this.#hosts = hosts;
    this.#reported = new Uint16Array(messages);
    this.#at = new Float64Array(messages);
  }

  /** A host reports messages complete on its side. */
  complete(seqs: readonly number[], ats: readonly number[]): void {
    seqs.forEach((seq, i) => {
      if (seq < 0 || seq >= this.messages) return;
      const at = ats[i] as number;
      if (at > (this.#at[seq] as number)) this.#at[seq] = at;
      const reported = (this.#reported[seq] as number) + 1;
      this.#reported[seq] = reported;
      if (reported !== this.#hosts) return;
      this.completed++;
      const waiter = this.#waiters.get(seq);
      this.#waiters.delete(seq);
      waiter?.(this.#at[seq] as number);
    });
  }

  /** When message `seq` reached every receiver, or undefined if it did not within `timeoutMs`. */
  whenComplete(seq: number, timeoutMs: number): Promise<number | undefined> {
    if (this.#reported[seq] === this.#hosts) return Promise.resolve(this.#at[seq] as number);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(seq);
        resolve(undefined);
      }, timeoutMs);
      this.#waiters.set(seq, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }

  /** Waits until every message is complete, or nothing completed for `stallMs` (loss). */
  async settle(stallMs: number, maxMs: number): Promise<void> {
    const deadline = Date.now() + maxMs;
    let last = -1;
    let lastChange = Date.now();
    while (this.completed < this.messages && Date.now() < deadline) {
      if (this.completed !== last) {
        last = this.completed;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > stallMs) {
        return;
      }
      await sleep(20);
    }
  }
}

/** Sums what several hosts saw of a run. */
export function addSummaries(summaries: readonly TrackSummary[]): TrackSummary {
  return summaries.reduce(
    (sum, s) => ({
      receivers: sum.receivers + s.receivers,
      delivered: sum.delivered + s.delivered,
      duplicates: sum.duplicates + s.duplicates,
      missing: sum.missing + s.missing,
      lastAt: Number.isNaN(sum.lastAt) ? s.lastAt : Math.max(sum.lastAt, s.lastAt || sum.lastAt),
    }),
    { receivers: 0, delivered: 0, duplicates: 0, missing: 0, lastAt: Number.NaN },
  );
}
