import { parseAddress } from '@p2p/codec';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { RepairTally } from '../../src/lossless/repair-tally.js';

const A = '127.0.0.1:7001';
const B = '127.0.0.1:7002';
const ORIGIN = '127.0.0.1:6000';
const OTHER = '127.0.0.1:6001';

const digest = (hwm: number, origin = ORIGIN) => ({
  entries: [{ origin: parseAddress(origin), epoch: 1_000, hwm }],
});

describe('RepairTally: telling repairs from live Messages', () => {
  it("counts as a repair what the neighbour's Digest said it had delivered, per neighbour and origin", () => {
    const tally = new RepairTally(new ManualClock(), 1_000);
    tally.remember(A, digest(5));
    expect(tally.isRepair(A, ORIGIN, 1_000, 5)).toBe(true);
    expect(tally.isRepair(A, ORIGIN, 1_000, 6)).toBe(false);
    expect(tally.isRepair(A, ORIGIN, 2_000, 3)).toBe(false);
    expect(tally.isRepair(A, OTHER, 1_000, 3)).toBe(false);
    expect(tally.isRepair(B, ORIGIN, 1_000, 3)).toBe(false);
    expect(tally.isRepair(A, ORIGIN, 1_000, 3)).toBe(true);
  });

  it('goes by the latest Digest of a neighbour, and by none once it is forgotten or expired', () => {
    const clock = new ManualClock();
    const tally = new RepairTally(clock, 1_000);
    tally.remember(A, digest(5));
    expect(tally.isRepair(A, ORIGIN, 1_000, 3)).toBe(true);
    tally.remember(A, digest(2));
    expect(tally.isRepair(A, ORIGIN, 1_000, 3)).toBe(false);
    tally.forget(A);
    expect(tally.isRepair(A, ORIGIN, 1_000, 1)).toBe(false);
    tally.remember(A, digest(5));
    expect(tally.isRepair(A, ORIGIN, 1_000, 1)).toBe(true);
    clock.advance(1_000);
    expect(tally.isRepair(A, ORIGIN, 1_000, 1)).toBe(false);
    tally.close();
  });

  it('looks a neighbour up afresh once its Digest comes, or goes while another is kept', () => {
    const clock = new ManualClock();
    const tally = new RepairTally(clock, 1_000);
    tally.remember(B, digest(5));
    expect(tally.isRepair(A, ORIGIN, 1_000, 3)).toBe(false);
    tally.remember(A, digest(5));
    expect(tally.isRepair(A, ORIGIN, 1_000, 3)).toBe(true);
    clock.advance(500);
    tally.remember(B, digest(5));
    clock.advance(500); // A's Digest expires, B's is kept
    expect(tally.isRepair(A, ORIGIN, 1_000, 3)).toBe(false);
    expect(tally.isRepair(B, ORIGIN, 1_000, 3)).toBe(true);
    tally.close();
  });
});
