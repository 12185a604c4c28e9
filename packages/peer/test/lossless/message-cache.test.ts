import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { CACHE_ENTRY_OVERHEAD } from '../../src/lossless/lossless-options.js';
import { type CachedMessage, MessageCache } from '../../src/lossless/message-cache.js';
import { message, seen } from './lossless-fixtures.js';

function cache(limits: { maxEntries?: number; maxBytes?: number; maxAge?: number } = {}) {
  const clock = new ManualClock();
  const evicted: Array<{ origin: string; epoch: number; seq: number; serial: number }> = [];
  const subject = new MessageCache({
    clock,
    maxEntries: limits.maxEntries ?? 1_024,
    maxBytes: limits.maxBytes ?? 1 << 20,
    maxAge: limits.maxAge ?? 10_000,
    onEvict: (origin, epoch, seq, serial) => evicted.push({ origin, epoch, seq, serial }),
  });
  const seqs = () => subject.entries().map((entry) => entry.seq);
  return { clock, subject, evicted, seqs };
}

describe('MessageCache limits', () => {
  it('keeps at most maxEntries, evicting the oldest and telling of each', () => {
    const { subject, evicted, seqs } = cache({ maxEntries: 3 });
    for (let seq = 1; seq <= 5; seq++) subject.add(message(1, seq));
    expect(seqs()).toEqual([3, 4, 5]);
    expect(evicted).toEqual([
      { origin: '127.0.0.1:1', epoch: 1_000, seq: 1, serial: 1 },
      { origin: '127.0.0.1:1', epoch: 1_000, seq: 2, serial: 2 },
    ]);
    expect(subject.size).toBe(3);
  });

  it('counts text bytes in UTF-8 plus the per-entry overhead, evicting the oldest beyond maxBytes', () => {
    const { subject, seqs } = cache({ maxBytes: 3 * (CACHE_ENTRY_OVERHEAD + 10) });
    subject.add(message(1, 1, { text: 'é'.repeat(5) })); // 10 bytes
    subject.add(message(1, 2, { text: 'x'.repeat(10) }));
    subject.add(message(1, 3, { text: 'y'.repeat(10) }));
    expect(subject.bytes).toBe(3 * (CACHE_ENTRY_OVERHEAD + 10));
    expect(seqs()).toEqual([1, 2, 3]);
    subject.add(message(1, 4, { text: 'z' }));
    expect(seqs()).toEqual([2, 3, 4]);
    expect(subject.bytes).toBe(2 * (CACHE_ENTRY_OVERHEAD + 10) + CACHE_ENTRY_OVERHEAD + 1);
  });

  it('does not keep a text larger than the whole byte budget', () => {
    const { subject, evicted } = cache({ maxBytes: CACHE_ENTRY_OVERHEAD + 4 });
    subject.add(message(1, 1, { text: 'small' }));
    expect(subject.size).toBe(0);
    expect(evicted.map((entry) => entry.seq)).toEqual([1]);
  });

  it('empties itself of entries older than maxAge on the clock, with no new Message coming', () => {
    const { clock, subject, evicted, seqs } = cache({ maxAge: 1_000 });
    subject.add(message(1, 1));
    clock.advance(400);
    subject.add(message(1, 2));
    clock.advance(599);
    expect(seqs()).toEqual([1, 2]);
    clock.advance(1);
    expect(seqs()).toEqual([2]);
    clock.advance(400);
    expect(seqs()).toEqual([]);
    expect(evicted.map((entry) => entry.seq)).toEqual([1, 2]);
    expect(clock.pending).toBe(0);
  });

  it('stops its timer on close', () => {
    const { clock, subject } = cache();
    subject.add(message(1, 1));
    expect(clock.pending).toBe(1);
    subject.close();
    expect(clock.pending).toBe(0);
  });
});

describe('MessageCache order', () => {
  it('keeps arrival order and every field through wrapping, growing and shrinking', () => {
    const { clock, subject, seqs } = cache({ maxEntries: 300, maxAge: 1_000 });
    const range = (from: number, to: number) =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i);
    for (let seq = 1; seq <= 1_000; seq++) {
      if (seq === 926) clock.advance(600);
      subject.add(message(seq % 2 === 0 ? 1 : 2, seq, { start: seq === 999, from: null }));
    }
    expect(seqs()).toEqual(range(701, 1_000));
    clock.advance(400); // what came before the clock moved is a cache age old: gone
    expect(seqs()).toEqual(range(926, 1_000));
    expect(subject.entries().at(-2)).toMatchObject({
      origin: '127.0.0.1:2',
      epoch: 1_000,
      seq: 999,
      author: 'origin',
      start: true,
      text: '2#999',
      from: null,
      serial: 999,
    });
    subject.add(message(1, 1_001));
    expect(subject.since(999).map((entry) => entry.seq)).toEqual([1_000, 1_001]);
    clock.advance(1_000);
    expect(seqs()).toEqual([]);
    subject.add(message(1, 1_002));
    expect(subject.entries()).toMatchObject([{ seq: 1_002, serial: 1_002 }]);
  });

  it('stays within maxEntries and in order when an eviction makes the application add a Message', () => {
    const clock = new ManualClock();
    const subject: MessageCache = new MessageCache({
      clock,
      maxEntries: 3,
      maxBytes: 1 << 20,
      maxAge: 10_000,
      // The first one evicted was held: released, it is delivered, and its handler broadcasts.
      onEvict: (_origin, _epoch, seq) => {
        if (seq === 1) subject.add(message(9, 1));
      },
    });
    for (let seq = 1; seq <= 4; seq++) subject.add(message(1, seq));
    expect(subject.entries().map((entry) => entry.text)).toEqual(['1#3', '9#1', '1#4']);
    expect(subject.entries().map((entry) => entry.serial)).toEqual([3, 4, 5]);
  });
});

describe('MessageCache memory', () => {
  it('grows by an eighth at a time, shrinks once a batch of evictions leaves it mostly empty, and keeps no arrays empty', () => {
    const { clock, subject } = cache({ maxEntries: 65_536, maxBytes: 1e9, maxAge: 1_000 });
    const sizes = new Set<number>();
    for (let seq = 1; seq <= 65_536; seq++) {
      subject.add(message(1, seq));
      sizes.add(subject.slots);
    }
    // Filling 65,536 entries resizes a few dozen times, not a thousand (the whole cache copied each time).
    expect(sizes.size).toBeLessThan(64);
    expect(subject.slots).toBe(65_536);
    clock.advance(500);
    subject.add(message(1, 65_537));
    clock.advance(500); // all but the last are a cache age old: gone in one batch
    expect(subject.size).toBe(1);
    expect(subject.slots).toBe(65);
    clock.advance(500);
    expect(subject.size).toBe(0);
    expect(subject.slots).toBe(0);
  });

  it('never holds more slots than its entry limit', () => {
    const { subject } = cache({ maxEntries: 100 });
    for (let seq = 1; seq <= 300; seq++) subject.add(message(1, seq));
    expect(subject.slots).toBe(100);
  });

  it('caches nothing with an entry limit of 0', () => {
    const { subject, evicted } = cache({ maxEntries: 0 });
    subject.add(message(1, 1));
    expect(subject.size).toBe(0);
    expect(evicted.map((entry) => entry.seq)).toEqual([1]);
  });
});

describe('MessageCache order when an eviction makes the application broadcast', () => {
  it('numbers the broadcast before the entry whose room it was made in, so a repair from a hold misses neither', () => {
    // A hold takes each entry after its add (the flood follows the caching): its serials must
    // rise in the order it took them, since a repair stops reading it at the first one cached.
    const clock = new ManualClock();
    const held: CachedMessage[] = [];
    const flood = (entry: CachedMessage) => {
      subject.add(entry);
      held.push(entry);
    };
    const text = 'x'.repeat(100);
    const subject: MessageCache = new MessageCache({
      clock,
      maxEntries: 1_024,
      maxBytes: 2 * (CACHE_ENTRY_OVERHEAD + 100),
      maxAge: 10_000,
      // 1#1 was held above a gap: released, it is delivered, and the application broadcasts 5#1.
      onEvict: (origin, _epoch, seq) => {
        if (origin === '127.0.0.1:1' && seq === 1) flood(message(5, 1, { text }));
      },
    });
    for (let seq = 1; seq <= 4; seq++) flood(message(1, seq, { text }));
    expect(held.map((entry) => entry.serial)).toEqual([1, 2, 3, 4, 5]);
    const sent = subject.missing({ fresh: false, entries: [] }, held);
    expect(sent.map((entry) => `${entry.origin}#${entry.seq}`)).toEqual([
      '127.0.0.1:1#1',
      '127.0.0.1:1#2',
      '127.0.0.1:5#1',
      '127.0.0.1:1#3',
      '127.0.0.1:1#4',
    ]);
  });
});

describe('MessageCache.since', () => {
  it('returns what arrived after the mark, in arrival order, as long as it is cached', () => {
    const { subject } = cache({ maxEntries: 4 });
    subject.add(message(1, 1));
    const mark = subject.mark();
    subject.add(message(2, 7));
    subject.add(message(1, 2));
    expect(subject.since(mark).map((entry) => entry.text)).toEqual(['2#7', '1#2']);
    for (let seq = 3; seq <= 6; seq++) subject.add(message(1, seq));
    expect(subject.since(mark).map((entry) => entry.seq)).toEqual([3, 4, 5, 6]);
  });
});

describe('MessageCache.missing', () => {
  function filled() {
    const { subject } = cache();
    subject.add(message(1, 1));
    subject.add(message(2, 1));
    subject.add(message(1, 2));
    subject.add(message(2, 2));
    subject.add(message(3, 5, { epoch: 2_000 }));
    return subject;
  }
  const texts = (entries: CachedMessage[]) => entries.map((entry) => entry.text);

  it('sends every entry of an origin the digest does not list, in cache order', () => {
    expect(texts(filled().missing({ fresh: false, entries: [] }))).toEqual([
      '1#1',
      '2#1',
      '1#2',
      '2#2',
      '3#5',
    ]);
  });

  it('sends the entries above the digest high-water mark of the same epoch', () => {
    const digest = { fresh: false, entries: [seen(1, 1), seen(2, 2), seen(3, 5, 2_000)] };
    expect(texts(filled().missing(digest))).toEqual(['1#2']);
  });

  it('sends everything of an origin the digest knows only in an earlier epoch, nothing of a later one', () => {
    const digest = {
      fresh: false,
      entries: [seen(1, 99, 500), seen(2, 0, 3_000), seen(3, 99, 1_000)],
    };
    expect(texts(filled().missing(digest))).toEqual(['1#1', '1#2', '3#5']);
  });

  it('sends nothing to a fresh node', () => {
    expect(filled().missing({ fresh: true, entries: [] })).toEqual([]);
  });

  it('sends held entries it evicted first, those the digest lacks, then its own, each once', () => {
    const { subject } = cache({ maxEntries: 2 });
    const held = [1, 2, 3, 4].map((seq) => message(1, seq));
    for (const entry of held) subject.add(entry); // 1 and 2 evicted, still held
    const digest = { fresh: false, entries: [seen(1, 1)] };
    expect(texts(subject.missing(digest, held))).toEqual(['1#2', '1#3', '1#4']);
  });
});
