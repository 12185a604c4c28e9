import type { Clock, TimerHandle } from '../clock.js';
import type { CachedMessage } from './message-cache.js';

/** What a node knows of one origin's current run. */
interface OriginRecord {
  epoch: number;
  /** Every sequence number up to this one has been delivered (or skipped). */
  hwm: number;
  /** Messages above `hwm + 1` waiting for the gap below them, by sequence number. */
  held: Map<number, CachedMessage> | undefined;
  /** When the current gap opened (ms of the clock); meaningful while `held` is set. */
  gapSince: number;
  /** When this origin was last heard of. */
  heard: number;
  /**
   * Set on a record adopted from a parent's Digest (a fresh node): the mark adopted. Messages at
   * or below it predate this node's joining, so a copy is not one it saw: it may be cached
   * silently, once (10.1.5), and `inherited` says which were.
   */
  adopted: number | undefined;
  inherited: Set<number> | undefined;
}

/**
 * `inherited`: a Message from before this node joined (at or below an adopted mark), not seen
 * here before: to be cached silently, neither delivered nor forwarded as new.
 */
export type Verdict = 'new' | 'duplicate' | 'stale' | 'inherited';

export interface OriginRecordsOptions {
  clock: Clock;
  /** The most records kept; the least recently heard of goes first. */
  maxOrigins: number;
  /** A record not heard of for this long (ms) is forgotten. */
  forgetAfter: number;
  /** How long (ms) a gap waits before its missing numbers are skipped. */
  gapTimeout: number;
  /** Delivery in each origin's order; every new Message comes here exactly once. */
  deliver: (message: CachedMessage) => void;
  /** `count` sequence numbers of `origin` given up on (a gap not filled in time). */
  onSkip?: (origin: string, count: number) => void;
}

/**
 * The seen-set and in-order delivery (docs/protocol.md 10.1.3): per origin, its epoch,
 * a high-water mark and the Messages held above a gap. Duplicates and stale epochs are told apart
 * from new Messages; new ones are delivered in sequence, a gap waiting at most the gap timeout
 * (one clock timer, for the earliest deadline). Bounded: at most `maxOrigins` records, each
 * forgotten after `forgetAfter` without news; a record that goes delivers its held Messages first.
 */
export class OriginRecords {
  readonly #options: OriginRecordsOptions;
  /**
   * In order of last news: the first is the least recently heard of. Created with the first
   * record (as `#gaps` with the first gap): an idle node pays for neither.
   */
  #records: Map<string, OriginRecord> | undefined;
  /** Origins with held Messages. */
  #gaps: Set<string> | undefined;
  #timer: TimerHandle | undefined;
  #timerDue = Number.POSITIVE_INFINITY;
  /** The origin last in `#records` (the most recently heard of): touching it again moves nothing. */
  #newest: string | undefined;
  /**
   * No record can be forgotten before this (ms of the clock): the oldest record's news plus
   * `forgetAfter` when last looked. Records only get newer, so checking before it would find none.
   */
  #forgetDue = 0;

  constructor(options: OriginRecordsOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#records?.size ?? 0;
  }

  /** The record of `origin` (a copy), for inspection. */
  get(origin: string): { epoch: number; hwm: number; held: number[] } | undefined {
    const record = this.#records?.get(origin);
    if (record === undefined) return undefined;
    const held = [...(record.held?.keys() ?? [])].sort((a, b) => a - b);
    return { epoch: record.epoch, hwm: record.hwm, held };
  }

  /**
   * Takes a Message in: `duplicate` (delivered or held already), `stale` (an earlier run of its
   * origin), or `new`: then it is delivered now, or held until the gap below it is filled.
   */
  receive(message: CachedMessage): Verdict {
    const now = this.#options.clock.now();
    this.#forgetOld(now);
    const { origin, epoch, seq } = message;
    let record = this.#records?.get(origin);
    if (record !== undefined && epoch < record.epoch) return 'stale';
    if (record === undefined || epoch > record.epoch) {
      if (record !== undefined) this.#flush(origin, record);
      record = {
        epoch,
        hwm: message.start ? seq - 1 : 0,
        held: undefined,
        gapSince: 0,
        heard: now,
        adopted: undefined,
        inherited: undefined,
      };
      this.#insert(origin, record);
    } else {
      this.#touch(origin, record, now);
    }
    if (seq <= record.hwm || record.held?.has(seq))
      return this.#inherit(record, seq) ? 'inherited' : 'duplicate';
    if (seq === record.hwm + 1 || message.start) {
      // `S`: nothing below it can come any more.
      const hwmBefore = record.hwm;
      this.#deliverThrough(origin, record, seq - 1);
      this.#deliver(record, message);
      this.#deliverFollowing(origin, record, hwmBefore);
    } else {
      this.#hold(origin, record, message, now);
    }
    return 'new';
  }

  /** Gives up on `origin`'s gaps: skips the missing numbers, delivers what is held in order. */
  skip(origin: string): void {
    const record = this.#records?.get(origin);
    if (record !== undefined) this.#flush(origin, record);
  }

  /**
   * A Message leaves the cache (its identifier and the cache's `serial` for it): if it is held,
   * waiting longer would lose it, so the gap below it is skipped and it is delivered (with what
   * follows it). Another arrival of the same identifier (a record forgotten meanwhile) has
   * another serial and is left alone.
   */
  release(origin: string, epoch: number, seq: number, serial: number): void {
    const record = this.#records?.get(origin);
    if (record === undefined || record.epoch !== epoch) return;
    record.inherited?.delete(seq);
    if (record.held?.get(seq)?.serial !== serial) return;
    const hwmBefore = record.hwm;
    this.#deliverThrough(origin, record, seq);
    this.#deliverFollowing(origin, record, hwmBefore);
  }

  /** Up to `limit` records as digest entries, the most recently heard of first. */
  digest(limit: number): Array<{ origin: string; epoch: number; hwm: number }> {
    this.#forgetOld(this.#options.clock.now());
    const all = [...(this.#records ?? [])];
    const out: Array<{ origin: string; epoch: number; hwm: number }> = [];
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const [origin, { epoch, hwm }] = all[i] as [string, OriginRecord];
      out.push({ origin, epoch, hwm });
    }
    return out;
  }

  /**
   * A fresh node takes its parent's view of the past: each listed origin it has no record of (or
   * only an earlier run of) becomes a record at that epoch and high-water mark, so what follows is
   * delivered at once and nothing before it is waited for. The mark is remembered: a copy of a
   * Message at or below it is `inherited` once (the parent's cache, for later repairs).
   */
  adopt(entries: Iterable<{ origin: string; epoch: number; hwm: number }>): void {
    const now = this.#options.clock.now();
    this.#forgetOld(now);
    for (const { origin, epoch, hwm } of entries) {
      const record = this.#records?.get(origin);
      if (record !== undefined && record.epoch >= epoch) continue;
      if (record !== undefined) this.#flush(origin, record);
      this.#insert(origin, {
        epoch,
        hwm,
        held: undefined,
        gapSince: 0,
        heard: now,
        adopted: hwm,
        inherited: undefined,
      });
    }
  }

  /** Stops the gap timer (held Messages stay held). */
  close(): void {
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
  }

  #insert(origin: string, record: OriginRecord): void {
    this.#records ??= new Map();
    const records = this.#records;
    records.delete(origin);
    records.set(origin, record);
    this.#newest = origin;
    while (records.size > this.#options.maxOrigins) {
      const [oldest, evicted] = records.entries().next().value as [string, OriginRecord];
      this.#flush(oldest, evicted);
      records.delete(oldest);
    }
  }

  #touch(origin: string, record: OriginRecord, now: number): void {
    record.heard = now;
    // A burst from one origin touches the last record each time: a delete and set per Message
    // would churn the map's table.
    if (this.#newest === origin) return;
    this.#records?.delete(origin);
    this.#records?.set(origin, record);
    this.#newest = origin;
  }

  #forgetOld(now: number): void {
    const records = this.#records;
    if (records === undefined || now < this.#forgetDue) return;
    for (const [origin, record] of records) {
      if (now - record.heard < this.#options.forgetAfter) {
        this.#forgetDue = record.heard + this.#options.forgetAfter;
        return;
      }
      this.#flush(origin, record);
      records.delete(origin);
    }
    this.#forgetDue = 0;
  }

  /** Whether `seq`, already at or below the mark, is an inherited Message not cached yet (and marks it so). */
  #inherit(record: OriginRecord, seq: number): boolean {
    if (record.adopted === undefined || seq > record.adopted) return false;
    record.inherited ??= new Set();
    if (record.inherited.has(seq)) return false;
    record.inherited.add(seq);
    return true;
  }

  #hold(origin: string, record: OriginRecord, message: CachedMessage, now: number): void {
    if (record.held === undefined) {
      record.held = new Map();
      this.#openGap(origin, record, now);
    }
    record.held.set(message.seq, message);
  }

  #openGap(origin: string, record: OriginRecord, now: number): void {
    record.gapSince = now;
    this.#gaps ??= new Set();
    this.#gaps.add(origin);
    this.#arm(now + this.#options.gapTimeout);
  }

  /** Delivers, in order, every held Message up to `through`, skipping the numbers missing below. */
  #deliverThrough(origin: string, record: OriginRecord, through: number): void {
    const held = record.held;
    if (held !== undefined) {
      const due = [...held.keys()].filter((seq) => seq <= through).sort((a, b) => a - b);
      for (const seq of due) {
        const message = held.get(seq) as CachedMessage;
        held.delete(seq);
        this.#skipTo(origin, record, seq - 1);
        this.#deliver(record, message);
      }
    }
    this.#skipTo(origin, record, through);
  }

  /**
   * Delivers the held Messages that now follow `hwm` without a gap; the gap ends, or restarts if
   * `hwm` moved past `hwmBefore`.
   */
  #deliverFollowing(origin: string, record: OriginRecord, hwmBefore: number): void {
    const held = record.held;
    if (held === undefined) return;
    for (let next = held.get(record.hwm + 1); next !== undefined; next = held.get(record.hwm + 1)) {
      held.delete(next.seq);
      this.#deliver(record, next);
    }
    if (held.size === 0) {
      record.held = undefined;
      this.#gaps?.delete(origin);
    } else if (record.hwm !== hwmBefore) {
      // Progress: a repair is flowing, so the gap left above gets a full timeout of its own.
      this.#openGap(origin, record, this.#options.clock.now());
    }
  }

  #flush(origin: string, record: OriginRecord): void {
    if (record.held === undefined) return;
    this.#deliverThrough(origin, record, Math.max(...record.held.keys()));
    record.held = undefined;
    this.#gaps?.delete(origin);
  }

  #skipTo(origin: string, record: OriginRecord, seq: number): void {
    if (seq <= record.hwm) return;
    this.#options.onSkip?.(origin, seq - record.hwm);
    record.hwm = seq;
  }

  #deliver(record: OriginRecord, message: CachedMessage): void {
    record.hwm = message.seq;
    this.#options.deliver(message);
  }

  #arm(due: number): void {
    if (due >= this.#timerDue) return;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timerDue = due;
    this.#timer = this.#options.clock.setTimeout(
      () => this.#onTimer(),
      Math.max(0, due - this.#options.clock.now()),
    );
  }

  #onTimer(): void {
    this.#timer = undefined;
    this.#timerDue = Number.POSITIVE_INFINITY;
    const now = this.#options.clock.now();
    let next = Number.POSITIVE_INFINITY;
    for (const origin of [...(this.#gaps ?? [])]) {
      const record = this.#records?.get(origin);
      if (record === undefined || record.held === undefined) {
        this.#gaps?.delete(origin);
        continue;
      }
      const due = record.gapSince + this.#options.gapTimeout;
      if (due <= now) this.#flush(origin, record);
      else next = Math.min(next, due);
    }
    if (next !== Number.POSITIVE_INFINITY) this.#arm(next);
  }
}
