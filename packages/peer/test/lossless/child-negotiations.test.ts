import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { ChildNegotiations } from '../../src/lossless/child-negotiations.js';

const CHILD = '127.0.0.1:7001';

function negotiations() {
  const clock = new ManualClock();
  const timedOut: string[] = [];
  const subject = new ChildNegotiations(clock, 250, (child) => timedOut.push(child));
  return { clock, timedOut, subject };
}

describe('ChildNegotiations', () => {
  it('gives up on a child after the bound', () => {
    const { clock, timedOut, subject } = negotiations();
    subject.start(CHILD);
    clock.advance(249);
    expect(timedOut).toEqual([]);
    clock.advance(1);
    expect(timedOut).toEqual([CHILD]);
  });

  it('does not put the bound off when the child joins again (root away: a Join with each hello)', () => {
    const { clock, timedOut, subject } = negotiations();
    subject.start(CHILD);
    clock.advance(200);
    subject.start(CHILD);
    clock.advance(50);
    expect(timedOut).toEqual([CHILD]);
  });

  it('ends a wait (the Digest came), and stops every timer on close', () => {
    const { clock, timedOut, subject } = negotiations();
    subject.start(CHILD);
    subject.end(CHILD);
    clock.advance(1_000);
    subject.start('127.0.0.1:7002');
    subject.close();
    clock.advance(1_000);
    expect(timedOut).toEqual([]);
  });
});
