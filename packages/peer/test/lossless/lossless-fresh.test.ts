import { parseAddress } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { DigestPacket } from '../../src/lossless/lossless-packets.js';
import { fastTimings } from '../../src/timings.js';
import { CAPS, identified, join, Net, type Node } from './lossless-harness.js';

// Q starts fresh (10.1.5): it must deliver none of the tree's past, which R, its parent-to-be,
// and P, a peer that was in the tree before Q, both cache.
const R = '127.0.0.1:7000';
const Q = '127.0.0.1:7001';
const P = '127.0.0.1:7003';
const S = '127.0.0.1:7005'; // a stopped parent: nothing in this net answers for it
const ORIGIN = '127.0.0.1:6000';

let net: Net;
afterEach(() => net.close());

const texts = (node: Node) => node.delivered.map(({ text }) => text);
const of = (...seqs: number[]) => seqs.map((seq) => `${ORIGIN}#${seq}`);

/** `node` has heard ORIGIN's 1 to `through`. */
function heard(node: Node, through: number) {
  node.neighbours.add(ORIGIN);
  for (let seq = 1; seq <= through; seq++)
    node.lossless.receive(identified(ORIGIN, seq, { start: false }), ORIGIN);
}

describe('a fresh node whose first parent edge went before it settled (10.1.5)', () => {
  it('stays fresh: under its next parent it says F and delivers none of the past', () => {
    net = new Net();
    const r = net.add(R);
    heard(r, 5);
    const q = net.add(Q, { fresh: true });
    // Placed under S, which never answers the probe: the attachment fails and the edge goes.
    q.neighbours.add(S);
    q.lossless.onParentNegotiating(S);
    q.neighbours.delete(S);
    q.lossless.onEdgeGone(S);
    expect(q.lossless.fresh).toBe(true);
    join(r, q);
    net.pump();
    const digest = q.sentTo(net, R).find((sent) => sent.packet.kind === 'digest');
    expect(digest?.packet).toMatchObject({ kind: 'digest', fresh: true });
    expect(texts(q)).toEqual([]);
    expect(q.lossless.counters.inheritedIn).toBe(5);
    expect(q.lossless.fresh).toBe(false);
  });

  it('is no longer fresh once it delivered a Message from a version-1 parent', () => {
    net = new Net();
    const q = net.add(Q, { fresh: true });
    q.neighbours.add(S);
    q.lossless.onParentNegotiating(S);
    q.lossless.onParentVersion1(S);
    expect(q.lossless.fresh).toBe(true); // nothing delivered yet
    q.lossless.receive(
      { kind: 'message', source: parseAddress(S), text: 'from a version-1 parent' },
      S,
    );
    expect(texts(q)).toEqual(['from a version-1 parent']);
    expect(q.lossless.fresh).toBe(false);
  });
});

/**
 * Fresh Q under S, which has not answered its probe yet, and a returning peer P joined to Q: Q
 * defers P's Digest (sends it nothing) until its own parent's marks are known.
 */
function returningPeerWaiting() {
  net = new Net();
  const q = net.add(Q, { fresh: true });
  const p = net.add(P);
  q.neighbours.add(S);
  q.lossless.onParentNegotiating(S);
  join(q, p);
  net.pump();
  expect(q.sentTo(net, P)).toEqual([]);
  return { q, p };
}

describe('a fresh node that a returning peer attaches to before its parent’s Digest came (10.1.5)', () => {
  it('answers the peer’s Digest only once it adopted its parent’s marks, and delivers none of the past', () => {
    net = new Net();
    const q = net.add(Q, { fresh: true });
    const p = net.add(P); // in the tree before Q: it caches ORIGIN's 1 to 3 too
    heard(p, 3);
    // Q's probe of R was answered and its F Digest is on its way; R's answer is not in yet.
    q.neighbours.add(R);
    q.lossless.onParentNegotiating(R);
    q.lossless.onParentAnswered(R, CAPS);
    const toR = net.log.length;
    join(q, p); // P sends its Digest
    net.pump();
    expect(q.lossless.edges.mode(P)).toBe('lossless');
    expect(q.sentTo(net, P)).toEqual([]); // no Digest to P yet: P sends nothing of its cache
    expect(texts(q)).toEqual([]);
    // R gets Q's Digest (held back until now) and answers: Q adopts R's marks, then answers P.
    const r = net.add(R);
    heard(r, 3);
    r.neighbours.add(Q);
    r.lossless.onOffer(Q, CAPS);
    r.lossless.onChildJoined(Q);
    const fromQ = net.log.slice(0, toR).find((sent) => sent.to === R);
    expect(fromQ?.packet).toMatchObject({ kind: 'digest', fresh: true });
    r.lossless.receive(fromQ?.packet as DigestPacket, Q);
    net.pump();
    expect(q.lossless.fresh).toBe(false);
    // Its Digest now lists R's marks: P lacks nothing and has nothing Q lacks.
    expect(q.sentTo(net, P)[0]?.packet).toMatchObject({ kind: 'digest', fresh: false });
    expect(p.sentTo(net, Q).filter((sent) => sent.purpose === 'repair')).toEqual([]);
    expect(texts(q)).toEqual([]);
    expect(texts(p)).toEqual(of(1, 2, 3)); // what it heard itself, nothing twice
  });

  it('answers the peer’s Digest when its own parent edge turns out version 1', () => {
    const { q } = returningPeerWaiting();
    q.lossless.onParentVersion1(S); // no parent Digest will come
    net.pump();
    expect(q.sentTo(net, P).map(({ packet }) => packet.kind)).toEqual(['digest']);
  });

  it('answers the peer’s Digest when its own parent edge goes before the parent’s Digest came', () => {
    const { q } = returningPeerWaiting();
    q.neighbours.delete(S);
    q.lossless.onEdgeGone(S); // no parent Digest will come
    net.pump();
    expect(q.sentTo(net, P).map(({ packet }) => packet.kind)).toEqual(['digest']);
    expect(q.lossless.fresh).toBe(true);
  });

  it('answers its children’s Digests after one hello interval when its parent edge does not settle', () => {
    // S is away: Q's probe has no outcome, and no parent Digest comes. C1 and C2 join Q.
    const C1 = '127.0.0.1:7006';
    const C2 = '127.0.0.1:7007';
    net = new Net();
    const q = net.add(Q, { fresh: true });
    const c1 = net.add(C1, { fresh: true });
    const c2 = net.add(C2, { fresh: true });
    q.neighbours.add(S);
    q.lossless.onParentNegotiating(S);
    join(q, c1);
    join(q, c2);
    net.pump();
    q.lossless.originate('from Q');
    c1.lossless.originate('from C1');
    net.pump();
    expect(texts(c2)).toEqual([]); // held: Q defers its answers
    net.clock.advance(fastTimings.helloInterval);
    net.pump();
    q.lossless.originate('after the bound');
    net.pump();
    expect(texts(c1)).toEqual(['from Q', 'after the bound']);
    expect(texts(c2)).toEqual(['from Q', 'from C1', 'after the bound']);
    expect(texts(q)).toEqual(['from C1']);
    expect(q.lossless.fresh).toBe(true); // its parent's Digest, should it come, is still adopted
  });
});
