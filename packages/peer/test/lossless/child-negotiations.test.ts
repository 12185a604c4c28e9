import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { ChildNegotiations } from '../../src/lossless/child-negotiations.js';

const CHILD = '127.0.0.1:7001';

function negotiations() {
  const clock = new ManualClock();
  const timedOut: Array<[string, number]> = [];
  const subject = new ChildNegotiations(clock, 250, (child, mark) => timedOut.push([child, mark]));
  return { clock, timedOut, subject };
}

describe('ChildNegotiations', () => {
  it('gives up on a child after the bound, with the mark it held from', () => {
    const { clock, timedOut, subject } = negotiations();
    subject.start(CHILD, 7);
    clock.advance(249);
    expect(timedOut).toEqual([]);
    clock.advance(1);
    expect(timedOut).toEqual([[CHILD, 7]]);
    expect(subject.end(CHILD)).toBeUndefined();
  });

  it('does not put the bound off when the child joins again (root away: a Join with each hello)', () => {
    const { clock, timedOut, subject } = negotiations();
    subject.start(CHILD, 3);
    clock.advance(200);
    subject.start(CHILD, 9);
    clock.advance(50);
    expect(timedOut).toEqual([[CHILD, 3]]);
  });

  it('ends a wait with its mark (the Digest came), and stops every timer on close', () => {
    const { clock, timedOut, subject } = negotiations();
    subject.start(CHILD, 5);
    expect(subject.end(CHILD)).toBe(5);
    subject.start('127.0.0.1:7002', 6);
    subject.close();
    clock.advance(1_000);
    expect(timedOut).toEqual([]);
  });
});
