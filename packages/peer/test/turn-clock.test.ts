import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import { TurnClock } from '../src/core/turn-clock.js';

describe('TurnClock', () => {
  it('answers the reading taken at hold() until release(), the inner clock otherwise', () => {
    const inner = new ManualClock(100);
    const clock = new TurnClock(inner);
    expect(clock.now()).toBe(100);
    expect(clock.hold()).toBe(true);
    inner.advance(5);
    expect(clock.now()).toBe(100);
    // A nested turn shares the reading and does not take it.
    expect(clock.hold()).toBe(false);
    expect(clock.now()).toBe(100);
    clock.release();
    expect(clock.now()).toBe(105);
  });

  it('leaves timers to the inner clock', () => {
    const inner = new ManualClock(0);
    const clock = new TurnClock(inner);
    let fired = 0;
    const kept = clock.setTimeout(() => fired++, 10);
    const cleared = clock.setTimeout(() => fired++, 10);
    clock.clearTimeout(cleared);
    inner.advance(10);
    expect(fired).toBe(1);
    clock.clearTimeout(kept);
  });
});
