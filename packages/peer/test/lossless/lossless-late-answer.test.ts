import { afterEach, describe, expect, it } from 'vitest';
import { CAPS, deliveredCount as count, Net } from './lossless-harness.js';

const U = '127.0.0.1:7000';
const P = '127.0.0.1:7001';
const C = '127.0.0.1:7002';

let net: Net;
afterEach(() => net.close());

/** U above P on a lossless edge; C about to attach under P, holding what it sent meanwhile. */
function tree() {
  net = new Net();
  const u = net.add(U);
  const p = net.add(P);
  const c = net.add(C);
  u.neighbours.add(P);
  u.lossless.edges.set(P, 'child', 'lossless', 32);
  p.neighbours.add(U);
  p.lossless.edges.set(U, 'parent', 'lossless', 32);
  c.neighbours.add(P);
  c.lossless.onParentNegotiating(P); // the probe starts
  c.lossless.originate('while asking'); // held for the parent
  return { u, p, c };
}

describe('a child that found no extension where the parent had taken its offer (10.1.2)', () => {
  it('delivers its held Messages once across the tree, and both sides hold the edge version 1', () => {
    const { u, p, c } = tree();
    // The parent answered the offer, but the answer came too late (a loaded parent) or the
    // probe connection broke after it: the child decided version 1, joined and replayed.
    expect(p.lossless.onOffer(C, CAPS)).toBe('remembered');
    p.neighbours.add(C);
    p.lossless.onChildJoined(C); // the Join comes first on the usual connection…
    u.lossless.originate('from above meanwhile'); // (the parent holds it for the child)
    c.lossless.onParentVersion1(P); // …then the plain replay behind it
    net.pump();
    c.lossless.originate('after');
    p.lossless.originate('from the parent');
    net.pump();

    expect(count(u, 'while asking')).toBe(1);
    expect(count(p, 'while asking')).toBe(1);
    expect(count(u, 'after')).toBe(1);
    expect(count(p, 'after')).toBe(1);
    expect(count(c, 'from the parent')).toBe(1);
    expect(count(c, 'from above meanwhile')).toBe(1);
    expect(p.lossless.edges.mode(C)).toBe('v1');
    expect(c.lossless.edges.mode(P)).toBe('v1');
  });

  it('a quiet child that decided version 1: the parent gives up waiting for its Digest and sends what it held, plain', () => {
    const { u, p, c } = tree();
    net.log.length = 0;
    c.lossless.onEdgeGone(P); // nothing to replay: start again without the held Message
    c.lossless.onParentNegotiating(P);
    p.lossless.onOffer(C, CAPS);
    p.neighbours.add(C);
    p.lossless.onChildJoined(C);
    c.lossless.onParentVersion1(P);
    net.pump();
    u.lossless.originate('from above');
    net.pump();
    expect(count(c, 'from above')).toBe(0); // held for the child until the outcome
    net.clock.advance(250); // the fast profile's hello interval
    net.pump();
    expect(count(c, 'from above')).toBe(1);
    expect(p.lossless.edges.mode(C)).toBe('v1');
    expect(c.lossless.edges.mode(P)).toBe('v1');
  });

  it('ignores its parent’s Digest once it settled on version 1 (an answer to an earlier exchange)', () => {
    const { p, c } = tree();
    c.lossless.onParentVersion1(P);
    net.pump();
    net.log.length = 0;
    expect(c.lossless.receive(p.lossless.digest(), P)).toBe('digest');
    expect(c.lossless.edges.mode(P)).toBe('v1');
    expect(c.sentTo(net, P)).toEqual([]); // neither its own Digest nor a repair
  });

  it('a child’s Digest later than the bound still makes the edge lossless, and the exchange repairs both sides once', () => {
    const { u, p, c } = tree();
    p.lossless.onOffer(C, CAPS);
    p.neighbours.add(C);
    p.lossless.onChildJoined(C);
    u.lossless.originate('from above meanwhile');
    net.pump();
    net.clock.advance(250); // no Digest yet: version 1, what waited goes plain
    c.lossless.onParentAnswered(P, CAPS); // the child found the extension: its Digest, late
    net.pump();
    expect(c.renegotiated).toEqual([P]); // the plain copy on its lossless edge: dropped, probe again
    expect(p.lossless.edges.mode(C)).toBe('lossless');
    expect(c.lossless.edges.mode(P)).toBe('lossless');
    expect(count(c, 'from above meanwhile')).toBe(1);
    expect(count(u, 'while asking')).toBe(1);
    expect(count(p, 'while asking')).toBe(1);
  });
});

describe('a fresh child whose Digest comes later than the bound (10.1.2 item 5, 10.1.5)', () => {
  /** P above a fresh C that offered and joined; P sends before and after C's Join. */
  function freshChild() {
    net = new Net();
    const p = net.add(P);
    const c = net.add(C, { fresh: true });
    p.lossless.originate('the past'); // before C joined: not for C to deliver
    c.neighbours.add(P);
    c.lossless.onParentNegotiating(P);
    p.lossless.onOffer(C, CAPS);
    p.neighbours.add(C);
    p.lossless.onChildJoined(C);
    p.lossless.originate('after the Join');
    return { p, c };
  }

  it('delivers what was sent after its Join once, when the plain copies came before its outcome', () => {
    const { p, c } = freshChild();
    net.clock.advance(250); // no Digest yet: version 1, what waited goes plain
    net.pump(); // C, still probing, keeps the plain copy for its outcome
    p.lossless.originate('while version 1');
    net.pump();
    c.lossless.onParentAnswered(P, CAPS); // lossless: the plain copies dropped, its Digest late
    net.pump();
    p.lossless.originate('lossless now');
    net.pump();
    expect(c.delivered.map((d) => d.text)).toEqual([
      'after the Join',
      'while version 1',
      'lossless now',
    ]);
  });

  it('delivers what was sent after its Join once, when its Digest crossed the plain copies', () => {
    const { p, c } = freshChild();
    c.lossless.onParentAnswered(P, CAPS); // its Digest is on its way…
    net.clock.advance(250); // …as P gives up on it and sends what waited, plain
    net.pump();
    p.lossless.originate('lossless now');
    net.pump();
    expect(c.renegotiated).toEqual([P]); // the plain copy on its lossless edge: dropped
    expect(c.delivered.map((d) => d.text)).toEqual(['after the Join', 'lossless now']);
  });
});
