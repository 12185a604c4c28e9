import { formatAddress } from '@p2p/codec';
import type { Clock, TimerHandle } from '../clock.js';
import { CACHE_ENTRY_OVERHEAD } from './lossless-options.js';
import type { DigestPacket } from './lossless-packets.js';

/**
 * A Message with its identifier, as a node handles it: held by its origin record until it can be
 * delivered in order, or for an edge being negotiated, and what the cache gives back (the cache
 * itself keeps the fields, not the object). Made by {@link cachedMessage}.
 */
export interface CachedMessage {
  /** 'HOST:PORT' of the origin. */
  readonly origin: string;
  readonly epoch: number;
  readonly seq: number;
  readonly author: 'origin' | 'gateway';
  readonly start: boolean;
  readonly text: string;
  /** The neighbour it came from ('HOST:PORT'), null for what this node originated. */
  readonly from: string | null;
  /** From before this node joined (10.1.5): kept for repairs, never replayed as a plain Message. */
  inherited: boolean;
  /** Set by the cache: when it arrived (whole ms of the clock), its place in arrival order, its accounted size. */
  at: number;
  serial: number;
  bytes: number;
}

/**
 * A new entry, as an object literal (not a class instance: one shape for every entry, and cheap
 * to make). The cache copies its fields into its own arrays and keeps no reference to it, so it
 * dies young unless a hold or a gap keeps it. Positional: an options object would be one more
 * allocation per Message received.
 */
export function cachedMessage(
  origin: string,
  epoch: number,
  seq: number,
  author: 'origin' | 'gateway',
  start: boolean,
  text: string,
  from: string | null,
): CachedMessage {
  return {
    origin,
    epoch,
    seq,
    author,
    start,
    text,
    from,
    inherited: false,
    at: 0,
    serial: 0,
    bytes: 0,
  };
}

export interface MessageCacheOptions {
  clock: Clock;
  maxEntries: number;
  /** Text bytes (UTF-8) plus {@link CACHE_ENTRY_OVERHEAD} per entry. */
  maxBytes: number;
  /** Entries older than this (ms) are dropped, by a timer when nothing else comes. */
  maxAge: number;
  /**
   * Called for each entry leaving the cache, after it left (a held Message must not wait for
   * it): its identifier and the `serial` the cache gave it, which tells it from another arrival
   * of the same identifier.
   */
  onEvict?: (origin: string, epoch: number, seq: number, serial: number) => void;
}

/** Numbers kept per entry in `#numbers`, at these offsets. */
const STRIDE = 5;
const EPOCH = 0;
const SEQ = 1;
const AT = 2;
const BYTES = 3;
const FLAGS = 4;
/** Bits of an entry's FLAGS. */
const GATEWAY = 1;
const START = 2;
const INHERITED = 4;

/**
 * The empty slots a ring of `entries` gets when it grows or shrinks: an eighth, at least 64. A
 * ring doubled each time would leave up to half of itself empty once the byte limit, not the
 * entry limit, bounds the cache (about 670 of 1,024 entries with 100-byte texts), 64 bytes a slot;
 * a fixed step would copy the whole cache every few Messages as a large one fills.
 */
function slack(entries: number): number {
  return Math.max(64, entries >> 3);
}

/** The arrays of a cache with no slots: never written to (a cache grows before it writes). */
const NO_SLOTS = Object.freeze([]) as never[];

/**
 * The recent Messages a node delivered, forwarded or originated, in arrival order
 * (docs/protocol.md 10.1.4): what a digest exchange repairs from, and what a child
 * replays to a parent that turned out to be version 1. Bounded in entries, bytes and age; the
 * oldest go first.
 *
 * Kept as parallel arrays in a ring, not as an object per entry: an entry costs its text and
 * 64 bytes (three references and five numbers, unboxed in one array of doubles) instead of an
 * object of eleven fields and two boxed numbers (about 145 bytes), and the garbage collector
 * traces four arrays rather than a thousand objects that each outlive the young generation.
 * Entries are made into objects again only for the rare readers (a repair, a replay).
 */
export class MessageCache {
  readonly #options: MessageCacheOptions;
  // Shared while the cache is empty: an idle node pays for no arrays of its own.
  #texts: string[] = NO_SLOTS;
  #origins: string[] = NO_SLOTS;
  #froms: Array<string | null> = NO_SLOTS;
  /** {@link STRIDE} numbers per slot. */
  #numbers: number[] = NO_SLOTS;
  #capacity = 0;
  /** The slot of the oldest entry; the live ones are the `#size` slots from it, wrapping. */
  #head = 0;
  #size = 0;
  #bytes = 0;
  /** The serial of the newest entry: serials are consecutive, the oldest's is `#serial - #size + 1`. */
  #serial = 0;
  #timer: TimerHandle | undefined;

  constructor(options: MessageCacheOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#size;
  }

  /** The slots the cache holds now, used or not (its memory beside the texts: 64 bytes each). */
  get slots(): number {
    return this.#capacity;
  }

  /** The accounted bytes held (text plus the per-entry overhead). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Adds a new Message (never one already cached), evicting the oldest beyond the limits;
   * `textBytes`, its text's UTF-8 length if known. Sets the entry's `at`, `serial` and `bytes`
   * (a hold keeps the object, and reads them).
   */
  add(entry: CachedMessage, textBytes = Buffer.byteLength(entry.text, 'utf8')): void {
    const { maxEntries, maxBytes, clock } = this.#options;
    const bytes = textBytes + CACHE_ENTRY_OVERHEAD;
    // Room is made first, in loops: `onEvict` may deliver a held Message, and what the application
    // does then (a broadcast) is added, and flooded, before this entry, so it must also be
    // numbered before it (a hold relies on serials in the order it took its entries).
    while (this.#size > 0 && (this.#size >= maxEntries || this.#bytes + bytes > maxBytes))
      this.#evictOldest();
    if (this.#size === this.#capacity)
      this.#resize(Math.max(1, Math.min(maxEntries, this.#capacity + slack(this.#capacity))));
    entry.at = Math.floor(clock.now());
    entry.serial = ++this.#serial;
    entry.bytes = bytes;
    const slot = (this.#head + this.#size) % this.#capacity;
    this.#texts[slot] = entry.text;
    this.#origins[slot] = entry.origin;
    this.#froms[slot] = entry.from;
    const at = slot * STRIDE;
    const numbers = this.#numbers;
    numbers[at + EPOCH] = entry.epoch;
    numbers[at + SEQ] = entry.seq;
    numbers[at + AT] = entry.at;
    numbers[at + BYTES] = entry.bytes;
    numbers[at + FLAGS] =
      (entry.author === 'gateway' ? GATEWAY : 0) |
      (entry.start ? START : 0) |
      (entry.inherited ? INHERITED : 0);
    this.#size++;
    this.#bytes += bytes;
    // Only an entry over the limits on its own is evicted here (maxEntries 0, or too many bytes).
    while (this.#size > maxEntries || this.#bytes > maxBytes) this.#evictOldest();
    this.#fit();
    this.#arm();
  }

  /** A mark of "now" in arrival order, for {@link since}. */
  mark(): number {
    return this.#serial;
  }

  /** The entries still cached that arrived after `mark`, oldest first. */
  since(mark: number): CachedMessage[] {
    this.#expire();
    const out: CachedMessage[] = [];
    const first = Math.max(0, mark - this.#oldestSerial() + 1);
    for (let i = first; i < this.#size; i++) out.push(this.#entry(i));
    return out;
  }

  /**
   * The entries the sender of `digest` lacks, oldest first: those whose origin it does not list,
   * or lists with an earlier epoch, or with the same epoch and a high-water mark below them. A
   * fresh sender gets nothing (it must not receive the tree's past). `held` (entries of this
   * cache, in arrival order) may name some the cache no longer has: those it lacks come first.
   */
  missing(
    digest: Pick<DigestPacket, 'fresh' | 'entries'>,
    held: readonly CachedMessage[] = [],
  ): CachedMessage[] {
    if (digest.fresh) return [];
    this.#expire();
    const seen = new Map<string, { epoch: number; hwm: number }>();
    for (const { origin, epoch, hwm } of digest.entries)
      seen.set(formatAddress(origin), { epoch, hwm });
    const lacks = (origin: string, epoch: number, seq: number): boolean => {
      const known = seen.get(origin);
      return (
        known === undefined || known.epoch < epoch || (known.epoch === epoch && known.hwm < seq)
      );
    };
    const out: CachedMessage[] = [];
    // Evicted ones are older than every live entry (the cache is a queue).
    const oldestLive = this.#size > 0 ? this.#oldestSerial() : Number.POSITIVE_INFINITY;
    for (const entry of held) {
      if (entry.serial >= oldestLive) break;
      if (lacks(entry.origin, entry.epoch, entry.seq)) out.push(entry);
    }
    for (let i = 0; i < this.#size; i++) {
      const slot = this.#slot(i);
      const at = slot * STRIDE;
      const epoch = this.#numbers[at + EPOCH] as number;
      const seq = this.#numbers[at + SEQ] as number;
      if (lacks(this.#origins[slot] as string, epoch, seq)) out.push(this.#entry(i));
    }
    return out;
  }

  /** The cached entries, oldest first (copies). */
  entries(): CachedMessage[] {
    const out: CachedMessage[] = [];
    for (let i = 0; i < this.#size; i++) out.push(this.#entry(i));
    return out;
  }

  /** Stops the age timer; the entries stay. */
  close(): void {
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #oldestSerial(): number {
    return this.#serial - this.#size + 1;
  }

  /** The slot of the `i`th live entry, oldest first. */
  #slot(i: number): number {
    return (this.#head + i) % this.#capacity;
  }

  /** The `i`th live entry, oldest first, as an object. */
  #entry(i: number): CachedMessage {
    const slot = this.#slot(i);
    const at = slot * STRIDE;
    const numbers = this.#numbers;
    const flags = numbers[at + FLAGS] as number;
    const entry = cachedMessage(
      this.#origins[slot] as string,
      numbers[at + EPOCH] as number,
      numbers[at + SEQ] as number,
      flags & GATEWAY ? 'gateway' : 'origin',
      (flags & START) !== 0,
      this.#texts[slot] as string,
      this.#froms[slot] as string | null,
    );
    entry.inherited = (flags & INHERITED) !== 0;
    entry.at = numbers[at + AT] as number;
    entry.serial = this.#oldestSerial() + i;
    entry.bytes = numbers[at + BYTES] as number;
    return entry;
  }

  #evictOldest(): void {
    if (this.#size === 0) return;
    const slot = this.#head;
    const at = slot * STRIDE;
    const origin = this.#origins[slot] as string;
    const epoch = this.#numbers[at + EPOCH] as number;
    const seq = this.#numbers[at + SEQ] as number;
    const serial = this.#oldestSerial();
    this.#bytes -= this.#numbers[at + BYTES] as number;
    // Let the strings be collected; the slot's numbers are overwritten when it is reused.
    this.#texts[slot] = '';
    this.#origins[slot] = '';
    this.#froms[slot] = null;
    this.#head = (slot + 1) % this.#capacity;
    this.#size--;
    this.#options.onEvict?.(origin, epoch, seq, serial);
  }

  /**
   * After evictions: an empty cache keeps no arrays; one with more than twice its slack empty
   * shrinks to its slack. Checked once per batch of evictions, so that emptying a large cache
   * copies it at most once.
   */
  #fit(): void {
    if (this.#size === 0) {
      if (this.#capacity > 0) this.#resize(0);
      return;
    }
    if (this.#capacity - this.#size > 2 * slack(this.#size))
      this.#resize(this.#size + slack(this.#size));
  }

  /** Moves the live entries to arrays of `capacity` slots, the oldest in slot 0. */
  #resize(capacity: number): void {
    if (capacity === 0) {
      this.#texts = this.#origins = this.#froms = this.#numbers = NO_SLOTS;
      this.#capacity = 0;
      this.#head = 0;
      return;
    }
    const texts = new Array<string>(capacity);
    const origins = new Array<string>(capacity);
    const froms = new Array<string | null>(capacity);
    const numbers = new Array<number>(capacity * STRIDE).fill(0);
    for (let i = 0; i < this.#size; i++) {
      const slot = this.#slot(i);
      texts[i] = this.#texts[slot] as string;
      origins[i] = this.#origins[slot] as string;
      froms[i] = this.#froms[slot] as string | null;
      for (let k = 0; k < STRIDE; k++)
        numbers[i * STRIDE + k] = this.#numbers[slot * STRIDE + k] as number;
    }
    this.#texts = texts;
    this.#origins = origins;
    this.#froms = froms;
    this.#numbers = numbers;
    this.#capacity = capacity;
    this.#head = 0;
  }

  #expire(): void {
    const oldestAllowed = Math.floor(this.#options.clock.now()) - this.#options.maxAge;
    while (this.#size > 0 && (this.#numbers[this.#head * STRIDE + AT] as number) <= oldestAllowed)
      this.#evictOldest();
    this.#fit();
  }

  #arm(): void {
    if (this.#timer !== undefined || this.#size === 0) return;
    const oldestAt = this.#numbers[this.#head * STRIDE + AT] as number;
    const due = oldestAt + this.#options.maxAge - this.#options.clock.now();
    this.#timer = this.#options.clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#expire();
        this.#arm();
      },
      Math.max(0, due),
    );
  }
}
