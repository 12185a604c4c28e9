import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/index.js';

describe('ManualClock', () => {
  it('runs due timers in order of due time, then of setting, and never early', () => {
    const clock = new ManualClock(1_000);
    const ran: string[] = [];
    clock.setTimeout(() => ran.push('b at 20'), 20);
    clock.setTimeout(() => ran.push('a at 10'), 10);
    clock.setTimeout(() => ran.push('c at 20'), 20);
    const cleared = clock.setTimeout(() => ran.push('cleared'), 5);
    clock.clearTimeout(cleared);
    clock.advance(9);
    expect(ran).toEqual([]);
    expect(clock.now()).toBe(1_009);
    clock.advance(11);
    expect(ran).toEqual(['a at 10', 'b at 20', 'c at 20']);
    expect(clock.pending).toBe(0);
  });

  it('runs a timer set by a timer when it falls due within the same advance', () => {
    const clock = new ManualClock();
    const at: number[] = [];
    clock.setTimeout(() => {
      at.push(clock.now());
      clock.setTimeout(() => at.push(clock.now()), 5);
    }, 5);
    clock.advance(12);
    expect(at).toEqual([5, 10]);
    expect(clock.now()).toBe(12);
  });
});
