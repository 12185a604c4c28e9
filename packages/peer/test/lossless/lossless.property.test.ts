import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { identified, Net } from './lossless-harness.js';

const A = '127.0.0.1:7000';
const B = '127.0.0.1:7001';
const FEED_A = '127.0.0.1:7100';
const FEED_B = '127.0.0.1:7101';

/** Origins' runs, and for each Message: seen by A, by B, by both or by neither, in what order. */
const scenario = fc
  .array(fc.integer({ min: 1, max: 10 }), { minLength: 1, maxLength: 4 })
  .chain((lengths) => {
    const total = lengths.reduce((sum, length) => sum + length, 0);
    const seen = fc.constantFrom('a', 'b', 'both', 'neither');
    return fc.record({
      lengths: fc.constant(lengths),
      seen: fc.array(seen, { minLength: total, maxLength: total }),
      orderA: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
        minLength: total,
        maxLength: total,
      }),
      orderB: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), {
        minLength: total,
        maxLength: total,
      }),
      ownA: fc.integer({ min: 0, max: 3 }),
      ownB: fc.integer({ min: 0, max: 3 }),
    });
  });

describe('Lossless: two nodes that saw different subsets', () => {
  it('end up, after one digest exchange, with the union delivered once and in each origin’s order', () => {
    fc.assert(
      fc.property(scenario, ({ lengths, seen, orderA, orderB, ownA, ownB }) => {
        const net = new Net();
        try {
          const a = net.add(A);
          const b = net.add(B);
          a.neighbours.add(FEED_A);
          b.neighbours.add(FEED_B);
          const all = lengths.flatMap((length, index) =>
            Array.from({ length }, (_, i) => ({ origin: `127.0.0.1:${6001 + index}`, seq: i + 1 })),
          );
          const feed = (side: 'a' | 'b', order: number[]) =>
            all
              .map((message, i) => ({ ...message, key: order[i] as number, seen: seen[i] }))
              .filter((message) => message.seen === side || message.seen === 'both')
              .sort((x, y) => x.key - y.key);
          for (const { origin, seq } of feed('a', orderA))
            a.lossless.receive(identified(origin, seq), FEED_A);
          for (const { origin, seq } of feed('b', orderB))
            b.lossless.receive(identified(origin, seq), FEED_B);
          for (let i = 0; i < ownA; i++) a.lossless.originate(`a own ${i}`);
          for (let i = 0; i < ownB; i++) b.lossless.originate(`b own ${i}`);

          // B attaches under A.
          b.neighbours.add(A);
          b.lossless.onParentNegotiating(A);
          a.lossless.onOffer(B, { ids: 1, window: 32 });
          b.lossless.onParentAnswered(A, { ids: 1, window: 32 });
          a.neighbours.add(B);
          a.lossless.onChildJoined(B);
          net.pump();
          net.clock.advance(a.lossless.options.gapTimeout); // what neither saw is skipped

          const union = all.filter((_, i) => seen[i] !== 'neither');
          for (const [node, other, own] of [
            [a, 'b', ownB],
            [b, 'a', ownA],
          ] as const) {
            const byOrigin = new Map<string, number[]>();
            for (const { text, origin } of node.delivered) {
              const [from, seq] = text.split('#');
              if (seq === undefined) continue;
              expect(origin).toBe(from);
              byOrigin.set(from as string, [...(byOrigin.get(from as string) ?? []), Number(seq)]);
            }
            for (const [origin, seqs] of byOrigin) {
              const expected = union
                .filter((m) => m.origin === origin)
                .map((m) => m.seq)
                .sort((x, y) => x - y);
              expect(seqs).toEqual(expected);
            }
            expect([...byOrigin.values()].flat()).toHaveLength(union.length);
            const theirs = node.delivered.filter(({ text }) => text.startsWith(`${other} own`));
            expect(theirs.map(({ text }) => text)).toEqual(
              Array.from({ length: own }, (_, i) => `${other} own ${i}`),
            );
          }
        } finally {
          net.close();
        }
      }),
    );
  });
});
