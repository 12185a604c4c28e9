import { afterEach, describe, expect, it } from 'vitest';
import type { HoldLimits } from '../../src/lossless/held-messages.js';
import { fastTimings } from '../../src/timings.js';
import { addr, CAPS, joinUnanswered, Net, type Node, queueHolding } from './lossless-harness.js';

const P = '127.0.0.1:7001';
const C = '127.0.0.1:7002';

/** A cache far smaller than the burst: what it evicts must still reach the held neighbour. */
const SMALL_CACHE = { cacheEntries: 8 };
const BURST = 20;
const texts = (count: number) => Array.from({ length: count }, (_, i) => `burst ${i + 1}`);

let net: Net;
afterEach(() => net.close());

/** C offers and joins P; P holds Messages for C until C's Digest, which is late. */
function childNegotiating(init: { fresh: boolean; holdLimits?: HoldLimits }) {
  net = new Net();
  const p = net.add(P, { options: SMALL_CACHE, ...init, fresh: false });
  const c = net.add(C, { options: SMALL_CACHE, fresh: init.fresh });
  joinUnanswered(p, c);
  return { p, c };
}

/** C under P on an edge C is still probing; P holds C's edge lossless already. */
function parentNegotiating() {
  net = new Net();
  const p = net.add(P, { options: SMALL_CACHE });
  const c = net.add(C, { options: SMALL_CACHE });
  p.neighbours.add(C);
  c.neighbours.add(P);
  c.lossless.onParentNegotiating(P);
  p.lossless.onOffer(C, CAPS);
  p.lossless.onChildJoined(C);
  return { p, c };
}

function burst(from: Node, count = BURST): void {
  for (const text of texts(count)) from.lossless.originate(text);
  net.pump();
}

describe('a burst longer than the cache while a child’s Digest is late (10.1.4)', () => {
  it('a fresh child delivers all of it, once and in order, when its Digest comes', () => {
    const { p, c } = childNegotiating({ fresh: true });
    burst(p);
    expect(c.delivered).toEqual([]); // held: C's Digest has not come yet
    c.lossless.onParentAnswered(P, CAPS); // its Digest, late
    net.pump();
    expect(c.delivered.map((d) => d.text)).toEqual(texts(BURST));
    expect(c.lossless.counters.skipped).toBe(0);
    expect(p.refused).toEqual([]);
  });

  it('a child coming back (not fresh) is sent all of it by the exchange', () => {
    const { p, c } = childNegotiating({ fresh: false });
    burst(p);
    c.lossless.onParentAnswered(P, CAPS);
    net.pump();
    expect(c.delivered.map((d) => d.text)).toEqual(texts(BURST));
  });

  it('a child that sends no Digest gets all of it as plain Messages, in order, after the bound', () => {
    const { p } = childNegotiating({ fresh: true });
    burst(p);
    net.clock.advance(fastTimings.helloInterval); // no Digest: version 1, the hold replayed
    const replayed = p.sentTo(net, C).filter((sent) => sent.purpose === 'replay');
    expect(replayed.map((sent) => (sent.packet as { text: string }).text)).toEqual(texts(BURST));
  });

  it('beyond the send queue’s limits a Message is refused for that child, and the sender told', () => {
    const { p, c } = childNegotiating({
      fresh: true,
      holdLimits: queueHolding(5, SMALL_CACHE.cacheEntries),
    });
    for (const text of texts(7)) {
      const { sent } = p.lossless.originate(text);
      expect(sent.map((s) => s.to)).toEqual(texts(7).indexOf(text) < 5 ? [] : [C]);
    }
    expect(p.refused).toEqual([
      { to: C, purpose: 'originate' },
      { to: C, purpose: 'originate' },
    ]);
    c.lossless.onParentAnswered(P, CAPS);
    net.pump();
    // What was held arrives in order; what was refused is not promised.
    expect(c.delivered.map((d) => d.text).slice(0, 5)).toEqual(texts(5));
  });
});

describe('a burst longer than the cache while the parent edge is being negotiated (10.1.4)', () => {
  it('the parent gets all of it by the exchange once the probe is answered', () => {
    const { p, c } = parentNegotiating();
    burst(c);
    expect(p.delivered).toEqual([]);
    c.lossless.onParentAnswered(P, CAPS);
    net.pump();
    expect(p.delivered.map((d) => d.text)).toEqual(texts(BURST));
  });

  it('a version-1 parent gets all of it as plain Messages, in order', () => {
    const { c } = parentNegotiating();
    burst(c);
    c.lossless.onParentVersion1(P);
    const replayed = c.sentTo(net, P).filter((sent) => sent.purpose === 'replay');
    expect(replayed.map((sent) => (sent.packet as { text: string }).text)).toEqual(texts(BURST));
  });
});

describe('Messages sent after the edge turned lossless, before what was held for it went (10.1.4)', () => {
  it('the parent gets the held burst and what followed it in order, nothing skipped', () => {
    const { p, c } = parentNegotiating();
    for (const text of texts(BURST)) c.lossless.originate(text);
    net.pump();
    // The probe is answered: C's Digest is on its way, P's answer one round trip behind it.
    c.lossless.onParentAnswered(P, CAPS);
    c.lossless.originate('after the outcome');
    net.pump();
    expect(p.delivered.map((d) => d.text)).toEqual([...texts(BURST), 'after the outcome']);
    expect(p.lossless.counters.skipped).toBe(0);
  });

  it('a child whose Digest a fresh parent defers gets the held burst and what followed it in order', () => {
    const G = '127.0.0.1:7000';
    net = new Net();
    const g = net.add(G, { options: SMALL_CACHE });
    const p = net.add(P, { options: SMALL_CACHE, fresh: true });
    const c = net.add(C, { options: SMALL_CACHE });
    g.neighbours.add(P);
    p.neighbours.add(G);
    p.neighbours.add(C);
    c.neighbours.add(P);
    p.lossless.onParentNegotiating(G); // P is fresh, its own parent edge being negotiated
    g.lossless.onOffer(P, CAPS);
    g.lossless.onChildJoined(P);
    c.lossless.onParentNegotiating(P);
    p.lossless.onOffer(C, CAPS);
    p.lossless.onChildJoined(C);
    for (const text of texts(BURST)) p.lossless.originate(text);
    c.lossless.onParentAnswered(P, CAPS); // C's Digest: P defers its answer
    net.pump();
    p.lossless.originate('after the Digest');
    net.pump();
    p.lossless.onParentAnswered(G, CAPS); // G's Digest comes, P answers C's
    net.pump();
    expect(c.delivered.map((d) => d.text)).toEqual([...texts(BURST), 'after the Digest']);
    expect(c.lossless.counters.skipped).toBe(0);
    expect(g.delivered.map((d) => d.text)).toEqual([...texts(BURST), 'after the Digest']);
  });

  it('a plain Message from a child whose Digest was deferred sends it what was held, as plain Messages', () => {
    const G = '127.0.0.1:7000';
    net = new Net();
    const p = net.add(P, { options: SMALL_CACHE, fresh: true });
    const c = net.add(C, { options: SMALL_CACHE });
    p.neighbours.add(G);
    p.neighbours.add(C);
    c.neighbours.add(P);
    p.lossless.onParentNegotiating(G);
    c.lossless.onParentNegotiating(P);
    p.lossless.onOffer(C, CAPS);
    p.lossless.onChildJoined(C);
    c.lossless.onParentAnswered(P, CAPS); // C's Digest: P defers its answer
    net.pump();
    p.lossless.originate('held for C');
    // C comes back without the extension: a plain Message makes the edge version 1.
    p.lossless.receive({ kind: 'message', source: addr(C), text: 'plain from C' }, C);
    p.lossless.originate('after');
    const plain = p
      .sentTo(net, C)
      .filter((sent) => sent.packet.kind === 'message')
      .map((sent) => (sent.packet as { text: string }).text);
    expect(plain).toEqual(['held for C', 'after']);
  });
});

describe('a child that held nothing for its parent (10.1.4)', () => {
  it('sends at once once its probe is answered, before the parent’s Digest comes', () => {
    net = new Net();
    const p = net.add(P);
    const c = net.add(C);
    p.neighbours.add(C);
    c.neighbours.add(P);
    c.lossless.onParentNegotiating(P);
    p.lossless.onOffer(C, CAPS);
    p.lossless.onChildJoined(C);
    c.lossless.onParentAnswered(P, CAPS); // lossless; P's Digest one round trip away
    const { sent } = c.lossless.originate('right after the outcome');
    expect(sent.map((s) => s.to)).toEqual([P]); // sent, not held: nothing to keep order behind
    net.pump();
    expect(p.delivered.map((d) => d.text)).toEqual(['right after the outcome']);
  });
});

describe('a parent’s Digest that never comes (10.1.4)', () => {
  it('ends the child’s hold for its parent after one hello interval: all of it reaches the parent, in order', () => {
    const { p, c } = parentNegotiating();
    for (const text of texts(BURST)) c.lossless.originate(text);
    c.lossless.onParentAnswered(P, CAPS); // lossless: C's Digest out, P's answer awaited
    // P's Digest is lost (its urgent send refused by a full queue): C never gets it.
    const post = net.post.bind(net);
    net.post = (sent) => {
      if (!(sent.from === P && sent.packet.kind === 'digest')) post(sent);
    };
    net.pump();
    net.post = post;
    c.lossless.originate('before the bound');
    net.pump();
    net.clock.advance(fastTimings.helloInterval);
    net.pump();
    c.lossless.originate('after the bound');
    net.pump();
    expect(p.delivered.map((d) => d.text)).toEqual([
      ...texts(BURST),
      'before the bound',
      'after the bound',
    ]);
    expect(c.refused).toEqual([]);
    expect(c.lossless.forwardPlan(P)).toBe('identified');
  });
});

describe('a forwarded Message refused by a full hold (10.1.4)', () => {
  it('is reported as a send refused, as an originated one is', () => {
    const G = '127.0.0.1:7000';
    net = new Net();
    const g = net.add(G);
    const p = net.add(P, { holdLimits: queueHolding(2, 1_024) }); // the default cache
    const c = net.add(C);
    g.neighbours.add(P);
    p.neighbours.add(G);
    p.lossless.onParentNegotiating(G);
    g.lossless.onOffer(P, CAPS);
    g.lossless.onChildJoined(P);
    p.lossless.onParentAnswered(G, CAPS);
    net.pump();
    joinUnanswered(p, c);
    for (const text of texts(5)) g.lossless.originate(text);
    net.pump();
    expect(p.delivered.map((d) => d.text)).toEqual(texts(5));
    expect(p.refused).toEqual([
      { to: C, purpose: 'forward' },
      { to: C, purpose: 'forward' },
      { to: C, purpose: 'forward' },
    ]);
  });
});

describe('a full hold and the send queue it is emptied into (10.1.4)', () => {
  it('what the exchange sends the child at once fits that queue: the hold leaves room for the cache’s entries and the Digest', () => {
    const maxQueue = 28;
    const { p, c } = childNegotiating({
      fresh: false,
      holdLimits: { messages: maxQueue, bytes: 1 << 20 },
    });
    burst(p, 40);
    expect(p.refused.length).toBeGreaterThan(0); // the hold is full
    const before = p.sentTo(net, C).length;
    c.lossless.onParentAnswered(P, CAPS); // C's Digest: P answers with its own and the repairs
    net.pump();
    const exchange = p.sentTo(net, C).slice(before);
    expect(exchange.length).toBeLessThanOrEqual(maxQueue);
  });
});

describe('a cache tuned as large as the send queue (10.1.4)', () => {
  it('still lets a version-1 child be sent everything held for it', () => {
    net = new Net();
    const large = { cacheEntries: 20_000 };
    const p = net.add(P, { options: large, fresh: false });
    const c = net.add(C, { fresh: false });
    joinUnanswered(p, c);
    burst(p, 100);
    c.lossless.onParentVersion1(P); // C's probe failed: it speaks version 1 from now on
    c.lossless.originate('from c'); // P sees a plain Message from C: the edge is version 1
    net.pump();
    expect(c.delivered.map((m) => m.text)).toEqual(texts(100));
    expect(p.refused).toEqual([]);
  });
});
