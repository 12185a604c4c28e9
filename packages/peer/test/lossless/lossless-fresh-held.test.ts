import { afterEach, describe, expect, it } from 'vitest';
import { CAPS, deliveredCount as count, join, Net } from './lossless-harness.js';

const U = '127.0.0.1:7000';
const P = '127.0.0.1:7001';
const C = '127.0.0.1:7002';

let net: Net;
afterEach(() => net.close());

/** U above P on a lossless edge, P's past cached; C, a fresh peer, joins P with the extension. */
function joining() {
  net = new Net();
  const u = net.add(U);
  const p = net.add(P);
  const c = net.add(C, { fresh: true });
  u.neighbours.add(P);
  u.lossless.edges.set(P, 'child', 'lossless', 32);
  p.neighbours.add(U);
  p.lossless.edges.set(U, 'parent', 'lossless', 32);
  u.lossless.originate('before the join');
  p.lossless.originate('also before');
  net.pump();
  c.neighbours.add(P);
  c.lossless.onParentNegotiating(P);
  expect(p.lossless.onOffer(C, CAPS)).toBe('remembered');
  p.neighbours.add(C);
  p.lossless.onChildJoined(C); // the Join: P holds Messages for C until its Digest
  return { u, p, c };
}

describe('a fresh child and what its parent held for it between its Join and its Digest (10.1.5)', () => {
  it('delivers what was sent after its Join, once and in order, and none of the past', () => {
    const { u, p, c } = joining();
    u.lossless.originate('after the join 1');
    p.lossless.originate('after the join 2');
    u.lossless.originate('after the join 3');
    net.pump();
    expect(count(c, 'after the join 1')).toBe(0); // held: C's Digest has not come yet
    c.lossless.onParentAnswered(P, CAPS); // C's F Digest follows its Join
    net.pump();
    // Each once, each origin's in its order (no order is promised across origins).
    const texts = c.delivered.map((d) => d.text);
    expect([...texts].sort()).toEqual(['after the join 1', 'after the join 2', 'after the join 3']);
    expect(texts.filter((t) => t !== 'after the join 2')).toEqual([
      'after the join 1',
      'after the join 3',
    ]);
    // What came before the Join is inherited (cached for later repairs), not delivered.
    expect(c.lossless.counters.inheritedIn).toBe(2);
    u.lossless.originate('later');
    net.pump();
    expect(count(c, 'later')).toBe(1);
    expect(count(c, 'after the join 1')).toBe(1);
  });
});

describe('a fresh child under a fresh parent whose inheritance arrives after the child joined', () => {
  it('delivers none of that inheritance, and what is sent after', () => {
    net = new Net();
    const r = net.add(U);
    const f = net.add(P, { fresh: true });
    const c = net.add(C, { fresh: true });
    r.lossless.originate('past 1');
    r.lossless.originate('past 2');
    join(r, f); // F's F Digest is on its way; R will answer with its marks and its cache
    // C offers and joins F before R's answer; its Digest comes after F's inheritance arrived.
    c.neighbours.add(P);
    c.lossless.onParentNegotiating(P);
    f.lossless.onOffer(C, CAPS);
    f.neighbours.add(C);
    f.lossless.onChildJoined(C);
    net.pump();
    expect(f.lossless.counters.inheritedIn).toBe(2);
    c.lossless.onParentAnswered(P, CAPS);
    net.pump();
    r.lossless.originate('new');
    net.pump();
    expect(count(f, 'past 1') + count(f, 'past 2')).toBe(0);
    expect(count(c, 'past 1') + count(c, 'past 2')).toBe(0);
    expect(count(f, 'new')).toBe(1);
    expect(count(c, 'new')).toBe(1);
  });
});
