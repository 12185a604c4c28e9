import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { CachedMessage } from '../../src/lossless/message-cache.js';
import { OriginRecords } from '../../src/lossless/origin-records.js';
import { message } from './lossless-fixtures.js';

const GAP = 1_000;

function records(options: { maxOrigins?: number; forgetAfter?: number } = {}) {
  const clock = new ManualClock();
  const delivered: string[] = [];
  const skipped: Array<[string, number]> = [];
  const subject = new OriginRecords({
    clock,
    maxOrigins: options.maxOrigins ?? 512,
    forgetAfter: options.forgetAfter ?? 100_000,
    gapTimeout: GAP,
    deliver: (entry: CachedMessage) => delivered.push(entry.text),
    onSkip: (origin, count) => skipped.push([origin, count]),
  });
  return { clock, subject, delivered, skipped };
}

describe('OriginRecords: the seen-set', () => {
  it('delivers a Message once and drops its copies as duplicates', () => {
    const { subject, delivered } = records();
    expect(subject.receive(message(1, 1))).toBe('new');
    expect(subject.receive(message(1, 1))).toBe('duplicate');
    expect(subject.receive(message(1, 2))).toBe('new');
    expect(subject.receive(message(1, 1))).toBe('duplicate');
    expect(delivered).toEqual(['1#1', '1#2']);
  });

  it('takes a copy of a held Message for a duplicate too', () => {
    const { subject, delivered } = records();
    expect(subject.receive(message(1, 3))).toBe('new');
    expect(subject.receive(message(1, 3))).toBe('duplicate');
    expect(delivered).toEqual([]);
  });

  it('starts a new record at a later epoch (held Messages of the old run first) and drops an earlier one as stale', () => {
    const { subject, delivered, skipped } = records();
    subject.receive(message(1, 1));
    subject.receive(message(1, 3));
    expect(subject.receive(message(1, 1, { epoch: 2_000 }))).toBe('new');
    expect(delivered).toEqual(['1#1', '1#3', '1#1']);
    expect(skipped).toEqual([['127.0.0.1:1', 1]]);
    expect(subject.receive(message(1, 4, { epoch: 1_000 }))).toBe('stale');
    expect(subject.get('127.0.0.1:1')).toEqual({ epoch: 2_000, hwm: 1, held: [] });
  });
});

describe('OriginRecords: delivery in order', () => {
  it('holds Messages that came early and delivers them once the gap is filled', () => {
    const { subject, delivered, clock } = records();
    subject.receive(message(1, 3));
    subject.receive(message(1, 2));
    expect(delivered).toEqual([]);
    expect(subject.get('127.0.0.1:1')?.held).toEqual([2, 3]);
    subject.receive(message(1, 1));
    expect(delivered).toEqual(['1#1', '1#2', '1#3']);
    expect(clock.pending).toBe(1); // the gap timer, which will find nothing to do
    clock.advance(GAP);
    expect(delivered).toHaveLength(3);
    expect(clock.pending).toBe(0);
  });

  it('delivers an `S` Message at once: what is held below it first, the missing numbers skipped', () => {
    const { subject, delivered, skipped } = records();
    expect(subject.receive(message(1, 5, { start: true }))).toBe('new');
    expect(delivered).toEqual(['1#5']);
    subject.receive(message(1, 7));
    subject.receive(message(1, 10, { start: true }));
    expect(delivered).toEqual(['1#5', '1#7', '1#10']);
    expect(skipped).toEqual([
      ['127.0.0.1:1', 1],
      ['127.0.0.1:1', 2],
    ]);
  });

  it('waits for numbers from 1 for an origin first heard of in the middle of its run', () => {
    const { subject, delivered } = records();
    subject.receive(message(1, 2));
    subject.receive(message(1, 1));
    expect(delivered).toEqual(['1#1', '1#2']);
  });

  it('skips a gap at the gap timeout, counts it, and takes a late copy for a duplicate', () => {
    const { subject, delivered, skipped, clock } = records();
    subject.receive(message(1, 1));
    subject.receive(message(1, 4));
    clock.advance(GAP / 2);
    subject.receive(message(1, 5));
    clock.advance(GAP / 2 - 1);
    expect(delivered).toEqual(['1#1']);
    clock.advance(1);
    expect(delivered).toEqual(['1#1', '1#4', '1#5']);
    expect(skipped).toEqual([['127.0.0.1:1', 2]]);
    expect(subject.receive(message(1, 2))).toBe('duplicate');
    expect(subject.receive(message(1, 6))).toBe('new');
    expect(delivered.at(-1)).toBe('1#6');
  });

  it('gives a gap left after progress a timeout of its own, with one timer for the earliest deadline', () => {
    const { subject, delivered, clock } = records();
    subject.receive(message(1, 2)); // origin 1: gap at 1, due at 1000
    clock.advance(300);
    subject.receive(message(2, 3)); // origin 2: gap at 1–2, due at 1300
    subject.receive(message(1, 4));
    clock.advance(300);
    subject.receive(message(1, 1)); // fills 1, leaves a gap at 3: due at 1600
    expect(delivered).toEqual(['1#1', '1#2']);
    expect(clock.pending).toBe(1);
    clock.advance(700); // t = 1300
    expect(delivered).toEqual(['1#1', '1#2', '2#3']);
    clock.advance(299);
    expect(delivered).toHaveLength(3);
    clock.advance(1);
    expect(delivered).toEqual(['1#1', '1#2', '2#3', '1#4']);
    expect(clock.pending).toBe(0);
  });

  it('skip(origin) gives up on its gaps at once', () => {
    const { subject, delivered } = records();
    subject.receive(message(1, 3));
    subject.receive(message(1, 6));
    subject.skip('127.0.0.1:1');
    expect(delivered).toEqual(['1#3', '1#6']);
    expect(subject.get('127.0.0.1:1')).toEqual({ epoch: 1_000, hwm: 6, held: [] });
  });

  it('release(identifier, serial) of a held Message leaving the cache delivers through it and what follows', () => {
    const { subject, delivered } = records();
    const three = message(1, 3);
    three.serial = 12; // as the cache numbered it
    subject.receive(three);
    subject.receive(message(1, 4));
    subject.receive(message(1, 7));
    subject.release('127.0.0.1:1', 1_000, 3, 11); // another arrival of 3: not the held one
    expect(delivered).toEqual([]);
    subject.release('127.0.0.1:1', 1_000, 3, 12);
    expect(delivered).toEqual(['1#3', '1#4']);
    expect(subject.get('127.0.0.1:1')?.held).toEqual([7]);
  });
});

describe('OriginRecords: bounds', () => {
  it('forgets the least recently heard origin beyond maxOrigins, delivering its held Messages first', () => {
    const { subject, delivered } = records({ maxOrigins: 2 });
    subject.receive(message(1, 2));
    subject.receive(message(2, 1));
    subject.receive(message(1, 3)); // origin 1 heard of again: origin 2 is now the oldest
    subject.receive(message(3, 1));
    expect(subject.get('127.0.0.1:2')).toBeUndefined();
    expect(subject.size).toBe(2);
    subject.receive(message(4, 1));
    expect(subject.get('127.0.0.1:1')).toBeUndefined();
    expect(delivered).toEqual(['2#1', '3#1', '1#2', '1#3', '4#1']);
  });

  it('forgets a record not heard of for forgetAfter', () => {
    const { subject, clock } = records({ forgetAfter: 5_000 });
    subject.receive(message(1, 1));
    clock.advance(3_000);
    subject.receive(message(2, 1));
    clock.advance(2_000);
    expect(subject.digest(10).map((entry) => entry.origin)).toEqual(['127.0.0.1:2']);
  });
});

describe('OriginRecords: digest and adopt', () => {
  it('lists the most recently heard origins first, up to the limit', () => {
    const { subject } = records();
    subject.receive(message(1, 1));
    subject.receive(message(2, 1));
    subject.receive(message(3, 1, { epoch: 7 }));
    subject.receive(message(1, 2));
    expect(subject.digest(2)).toEqual([
      { origin: '127.0.0.1:1', epoch: 1_000, hwm: 2 },
      { origin: '127.0.0.1:3', epoch: 7, hwm: 1 },
    ]);
  });

  it('adopting a digest makes the next Message of an origin deliver at once', () => {
    const { subject, delivered } = records();
    subject.adopt([{ origin: '127.0.0.1:1', epoch: 1_000, hwm: 41 }]);
    expect(subject.receive(message(1, 42))).toBe('new');
    expect(delivered).toEqual(['1#42']);
  });

  it('takes a Message at or below an adopted mark as inherited once (never delivered), then as a duplicate', () => {
    const { subject, delivered } = records();
    subject.adopt([{ origin: '127.0.0.1:1', epoch: 1_000, hwm: 41 }]);
    expect(subject.receive(message(1, 41))).toBe('inherited');
    expect(subject.receive(message(1, 41))).toBe('duplicate');
    expect(subject.receive(message(1, 40))).toBe('inherited');
    expect(subject.receive(message(1, 42))).toBe('new');
    expect(subject.receive(message(1, 42))).toBe('duplicate'); // above the mark: seen here
    subject.receive(message(2, 5, { start: true }));
    expect(subject.receive(message(2, 5))).toBe('duplicate'); // not adopted: no inheritance
    expect(delivered).toEqual(['1#42', '2#5']);
  });

  it('keeps its own record of an origin over the digest, unless the digest knows a later run', () => {
    const { subject } = records();
    subject.receive(message(1, 1));
    subject.receive(message(2, 1));
    subject.adopt([
      { origin: '127.0.0.1:1', epoch: 1_000, hwm: 9 },
      { origin: '127.0.0.1:2', epoch: 2_000, hwm: 9 },
    ]);
    expect(subject.get('127.0.0.1:1')?.hwm).toBe(1);
    expect(subject.get('127.0.0.1:2')).toEqual({ epoch: 2_000, hwm: 9, held: [] });
  });
});
