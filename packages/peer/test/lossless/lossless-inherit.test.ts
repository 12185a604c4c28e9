import { afterEach, describe, expect, it } from 'vitest';
import { fastTimings } from '../../src/timings.js';
import { identified, join, joinUnanswered, Net, type Node } from './lossless-harness.js';

// P was paused and placed off; when it resumes the root puts it under Q, a fresh node that joined
// R while P was stopped. What P missed predates Q: only R's cache held it (10.1.5).
const R = '127.0.0.1:7000';
const Q = '127.0.0.1:7001';
const Q2 = '127.0.0.1:7002';
const P = '127.0.0.1:7003';
const ORIGIN = '127.0.0.1:6000';
const GAP = fastTimings.peerTimeout + fastTimings.helloInterval; // the default gap timeout

let net: Net;
afterEach(() => net.close());

const texts = (node: Node) => node.delivered.map(({ text }) => text);
const of = (...seqs: number[]) => seqs.map((seq) => `${ORIGIN}#${seq}`);

/** R has heard ORIGIN's 1 to `through`, P only 1 and 2 (then it was paused). */
function setUp(through: number) {
  net = new Net();
  const r = net.add(R);
  const p = net.add(P); // not fresh: it had a parent before its pause
  r.neighbours.add(ORIGIN);
  for (let seq = 1; seq <= through; seq++) {
    r.lossless.receive(identified(ORIGIN, seq, { start: false }), ORIGIN);
    if (seq <= 2) p.lossless.receive(identified(ORIGIN, seq, { start: false }), ORIGIN);
  }
  return { r, p };
}

describe('Lossless: repair under a fresh parent', () => {
  it('a peer re-attaching under a fresh node gets what it missed before that node joined, once, in order', () => {
    const { r, p } = setUp(5);
    const q = net.add(Q, { fresh: true });
    join(r, q);
    net.pump();
    expect(q.delivered).toEqual([]); // a fresh node still gets none of the past…
    expect(q.lossless.usage.cachedMessages).toBe(5); // …but keeps it for the repairs it may owe
    expect(q.lossless.counters.inheritedIn).toBe(5);
    expect(r.lossless.counters).toMatchObject({ inheritedOut: 5, repairedOut: 0 });
    expect(q.sentTo(net, R).map(({ packet }) => packet.kind)).toEqual(['digest']); // none back up
    r.lossless.receive(identified(ORIGIN, 6, { start: false }), ORIGIN);
    net.pump();
    expect(texts(q)).toEqual(of(6));

    join(q, p);
    net.pump();
    net.clock.advance(2 * GAP); // a gap left open would be skipped by now
    expect(texts(p)).toEqual(of(1, 2, 3, 4, 5, 6));
    expect(p.lossless.counters).toMatchObject({ skipped: 0, duplicates: 0, repairedIn: 4 });
    expect(texts(q)).toEqual(of(6)); // still nothing of the past delivered at Q
  });

  it('passes the inheritance down: a fresh node under a fresh node can repair a peer of its own', () => {
    const { r, p } = setUp(4);
    const q = net.add(Q, { fresh: true });
    join(r, q);
    net.pump();
    const q2 = net.add(Q2, { fresh: true });
    join(q, q2);
    net.pump();
    expect(q2.delivered).toEqual([]);
    join(q2, p);
    net.pump();
    net.clock.advance(2 * GAP);
    expect(texts(p)).toEqual(of(1, 2, 3, 4));
  });

  it('repairs a peer that joined the fresh node while its inheritance was on its way', () => {
    const { r, p } = setUp(5);
    const q = net.add(Q, { fresh: true });
    join(r, q); // R's Digest and Q's `F` Digest are queued, R's cache not sent yet
    join(q, p); // P's exchange with Q happens before Q holds anything of the past
    net.pump();
    net.clock.advance(2 * GAP);
    expect(texts(p)).toEqual(of(1, 2, 3, 4, 5));
    expect(q.delivered).toEqual([]);
  });

  it('delivers in order what the fresh node inherited out of order', () => {
    net = new Net();
    const r = net.add(R);
    const p = net.add(P);
    r.neighbours.add(ORIGIN);
    p.lossless.receive(identified(ORIGIN, 1, { start: false }), ORIGIN);
    // R got 1, then 4 and 5 ahead of 2 and 3 (a repair of its own), so its cache is out of order.
    for (const seq of [1, 4, 5, 2, 3])
      r.lossless.receive(identified(ORIGIN, seq, { start: false }), ORIGIN);
    const q = net.add(Q, { fresh: true });
    join(r, q);
    net.pump();
    join(q, p);
    net.pump();
    expect(texts(p)).toEqual(of(1, 2, 3, 4, 5));
    expect(p.lossless.counters.skipped).toBe(0);
  });

  it('keeps an inherited Message once, however often it comes', () => {
    const { r } = setUp(3);
    const q = net.add(Q, { fresh: true });
    join(r, q);
    net.pump();
    expect(q.lossless.usage.cachedMessages).toBe(3);
    for (let seq = 1; seq <= 3; seq++)
      expect(q.lossless.receive(identified(ORIGIN, seq, { start: false }), R)).toBe('duplicate');
    expect(q.lossless.usage.cachedMessages).toBe(3);
    expect(q.delivered).toEqual([]);
  });
});

describe('Lossless: the inheritance and a child that offered but settled on version 1 (10.1.2 item 5, 10.1.5)', () => {
  it('replays to that child none of what it inherited from its own parent', () => {
    net = new Net();
    const r = net.add(R);
    r.neighbours.add(ORIGIN);
    for (let seq = 1; seq <= 5; seq++)
      r.lossless.receive(identified(ORIGIN, seq, { start: false }), ORIGIN);
    const q = net.add(Q, { fresh: true });
    const c = net.add(P, { fresh: true });
    // C offers and joins Q; its probe then fails: version 1 on its side, no Digest.
    joinUnanswered(q, c);
    c.lossless.onParentVersion1(Q);
    // Meanwhile Q attaches to R and inherits its cache.
    join(r, q);
    net.pump();
    expect(q.lossless.counters.inheritedIn).toBe(5);
    // Q stops waiting for C's Digest: what it held for C goes plain, the inheritance not.
    net.clock.advance(fastTimings.helloInterval);
    net.pump();
    expect(q.sentTo(net, P)).toEqual([]);
    expect(texts(c)).toEqual([]);
    // What comes now reaches C.
    q.lossless.receive(identified(ORIGIN, 6, { start: false }), R);
    net.pump();
    expect(texts(c)).toEqual(of(6));
  });
});
