import { describe, expect, it } from 'vitest';
import { ManualClock, Peer, RateLimiter } from '../src/index.js';
import { addr, FakeTransport, placeUnder } from './fake-transport.js';

const ROOT = '127.0.0.1:5353';
const PARENT = '127.0.0.1:6601';

describe('per-neighbour Message rate limit', () => {
  it('drops and counts Messages beyond the burst, and lets them through again as time passes', async () => {
    const clock = new ManualClock();
    const transport = new FakeTransport('127.0.0.1:6501');
    const peer = new Peer({
      transport,
      root: ROOT,
      clock,
      messageRate: { perSecond: 10, burst: 3 },
    });
    await placeUnder(peer, transport, ROOT, PARENT);
    const delivered: string[] = [];
    peer.on('message', ({ text }) => delivered.push(text));
    for (let i = 0; i < 5; i++)
      transport.deliver({ kind: 'message', source: addr(PARENT), text: `flood ${i}` });
    expect(delivered).toEqual(['flood 0', 'flood 1', 'flood 2']);
    expect(peer.counters.dropped['rate-limited']).toBe(2);
    clock.advance(100); // one token back at 10 per second
    transport.deliver({ kind: 'message', source: addr(PARENT), text: 'later' });
    transport.deliver({ kind: 'message', source: addr(PARENT), text: 'too soon' });
    expect(delivered.at(-1)).toBe('later');
    expect(peer.counters.dropped['rate-limited']).toBe(3);
  });

  it('keeps one bucket per neighbour', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ perSecond: 1, burst: 1 }, clock);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('b')]).toEqual([true, false, true]);
  });

  it('keeps each neighbour to its own bucket when their Messages alternate', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ perSecond: 1, burst: 2 }, clock);
    const taken = ['a', 'b', 'a', 'b', 'a', 'b', 'a'].map((key) => limiter.take(key));
    expect(taken).toEqual([true, true, true, true, false, false, false]);
    clock.advance(1_000); // one token back for each
    expect(['b', 'b', 'a', 'a'].map((key) => limiter.take(key))).toEqual([
      true,
      false,
      true,
      false,
    ]);
  });

  it('starts a full bucket for a neighbour whose bucket was pruned while it was quiet', () => {
    const clock = new ManualClock();
    const limiter = new RateLimiter({ perSecond: 1, burst: 2 }, clock);
    expect([limiter.take('quiet'), limiter.take('quiet'), limiter.take('quiet')]).toEqual([
      true,
      true,
      false,
    ]);
    clock.advance(2_000); // refilled: prunable
    for (let i = 0; i < 4_096; i++) limiter.take(`other-${i}`);
    expect([limiter.take('quiet'), limiter.take('quiet'), limiter.take('quiet')]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it('refuses a limit that would drop everything', () => {
    expect(() => new RateLimiter({ perSecond: 0, burst: 1 }, new ManualClock())).toThrow(
      expect.objectContaining({ code: 'ERR_PEER_INVALID_OPTIONS' }),
    );
  });
});
