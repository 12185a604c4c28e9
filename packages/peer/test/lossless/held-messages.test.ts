import { describe, expect, it } from 'vitest';
import { HeldMessages } from '../../src/lossless/held-messages.js';
import { message } from './lossless-fixtures.js';

const CHILD = '127.0.0.1:7001';

/** A message whose accounted size is `bytes` (as the cache sets it). */
function sized(seq: number, bytes: number) {
  const entry = message(7000, seq);
  entry.bytes = bytes;
  return entry;
}

describe('HeldMessages', () => {
  it('holds in arrival order up to the queue’s limit in Messages, then refuses', () => {
    const holds = new HeldMessages({ messages: 2, bytes: 1_000 });
    holds.start(CHILD, 'child', 0);
    expect([1, 2, 3].map((seq) => holds.add(CHILD, sized(seq, 10)))).toEqual([true, true, false]);
    expect(holds.take(CHILD)?.entries.map((entry) => entry.seq)).toEqual([1, 2]);
    expect(holds.take(CHILD)).toBeUndefined();
  });

  it('bounds the bytes too, but always takes one Message into an empty hold', () => {
    const holds = new HeldMessages({ messages: 10, bytes: 100 });
    holds.start(CHILD, 'child', 0);
    expect(holds.add(CHILD, sized(1, 500))).toBe(true);
    expect(holds.add(CHILD, sized(2, 1))).toBe(false);
  });

  it('refuses for a neighbour it holds nothing for', () => {
    expect(new HeldMessages({ messages: 10, bytes: 100 }).add(CHILD, sized(1, 1))).toBe(false);
  });

  it('goes on when the same edge starts again, and starts afresh when the neighbour changed role', () => {
    const holds = new HeldMessages({ messages: 10, bytes: 1_000 });
    holds.start(CHILD, 'parent', 3);
    holds.add(CHILD, sized(1, 1));
    holds.start(CHILD, 'parent', 9); // a renegotiation: what was held is still owed
    expect(holds.take(CHILD)).toMatchObject({ mark: 3, entries: [{ seq: 1 }] });
    holds.start(CHILD, 'parent', 3);
    holds.add(CHILD, sized(1, 1));
    holds.start(CHILD, 'child', 9); // the old parent is a child now
    expect(holds.take(CHILD)).toMatchObject({ mark: 9, entries: [] });
  });
});
