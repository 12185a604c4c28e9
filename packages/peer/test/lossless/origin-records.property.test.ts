import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import type { CachedMessage } from '../../src/lossless/message-cache.js';
import { OriginRecords } from '../../src/lossless/origin-records.js';
import { message } from './lossless-fixtures.js';

const GAP = 1_000;

/** Each origin's run (1..length, the first marked `S`), and how each Message arrives. */
const runs = fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 4 });
const arrival = fc.record({
  copies: fc.integer({ min: 0, max: 3 }),
  order: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 3, maxLength: 3 }),
  pause: fc.integer({ min: 0, max: 2 * GAP }),
});

function setUp() {
  const clock = new ManualClock();
  const delivered = new Map<string, number[]>();
  let skipped = 0;
  const subject = new OriginRecords({
    clock,
    maxOrigins: 512,
    forgetAfter: 1_000_000,
    gapTimeout: GAP,
    deliver: (entry: CachedMessage) => {
      const seqs = delivered.get(entry.origin) ?? [];
      seqs.push(entry.seq);
      delivered.set(entry.origin, seqs);
    },
    onSkip: (_origin, count) => {
      skipped += count;
    },
  });
  return { clock, subject, delivered, skipped: () => skipped };
}

/** The Messages of `lengths` origins, each copy placed at a random point of the arrival order. */
function arrivals(
  lengths: number[],
  ways: Array<{ copies: number; order: number[]; pause: number }>,
) {
  const out: Array<{ key: number; origin: number; seq: number; pause: number }> = [];
  let i = 0;
  lengths.forEach((length, index) => {
    for (let seq = 1; seq <= length; seq++) {
      const way = ways[i++ % ways.length] as (typeof ways)[number];
      for (let copy = 0; copy < way.copies; copy++) {
        out.push({ key: way.order[copy] ?? 0, origin: index + 1, seq, pause: way.pause });
      }
    }
  });
  return out.sort((a, b) => a.key - b.key);
}

describe('OriginRecords under any arrival order', () => {
  it('delivers each origin’s Messages exactly once and in order when every one arrives at least once', () => {
    fc.assert(
      fc.property(runs, fc.array(arrival, { minLength: 1, maxLength: 40 }), (lengths, ways) => {
        const all = ways.map((way) => ({ ...way, copies: Math.max(1, way.copies) }));
        const { subject, delivered, skipped } = setUp();
        const verdicts = { new: 0, duplicate: 0, stale: 0, inherited: 0 };
        for (const { origin, seq } of arrivals(lengths, all)) {
          verdicts[subject.receive(message(origin, seq, { start: seq === 1 }))]++;
        }
        lengths.forEach((length, index) => {
          const expected = Array.from({ length }, (_, i) => i + 1);
          expect(delivered.get(`127.0.0.1:${index + 1}`)).toEqual(expected);
          expect(subject.get(`127.0.0.1:${index + 1}`)?.held).toEqual([]);
        });
        expect(skipped()).toBe(0);
        expect(verdicts.new).toBe(lengths.reduce((sum, length) => sum + length, 0));
      }),
    );
  });

  it('with losses and time passing, never delivers twice or out of order, and accounts for every number', () => {
    fc.assert(
      fc.property(runs, fc.array(arrival, { minLength: 1, maxLength: 40 }), (lengths, ways) => {
        const { subject, delivered, skipped, clock } = setUp();
        const highest = new Map<string, number>();
        for (const { origin, seq, pause } of arrivals(lengths, ways)) {
          clock.advance(pause);
          subject.receive(message(origin, seq, { start: seq === 1 }));
          const key = `127.0.0.1:${origin}`;
          highest.set(key, Math.max(highest.get(key) ?? 0, seq));
        }
        clock.advance(GAP);
        let accounted = 0;
        for (const [origin, top] of highest) {
          const seqs = delivered.get(origin) ?? [];
          for (let i = 1; i < seqs.length; i++) {
            expect(seqs[i]).toBeGreaterThan(seqs[i - 1] as number);
          }
          expect(subject.get(origin)).toEqual({ epoch: 1_000, hwm: top, held: [] });
          accounted += seqs.length;
        }
        const total = [...highest.values()].reduce((sum, top) => sum + top, 0);
        expect(accounted + skipped()).toBe(total);
        expect(clock.pending).toBe(0);
      }),
    );
  });
});
