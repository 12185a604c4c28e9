import { afterEach, describe, expect, it } from 'vitest';
import { CAPS, identified, Net, type Node } from './lossless-harness.js';

const A = '127.0.0.1:7000';
const C = '127.0.0.1:7002';
const D = '127.0.0.1:7003';
const ORIGIN = '127.0.0.1:6000';

let net: Net;
afterEach(() => net.close());

const texts = (node: Node) => node.delivered.map(({ text }) => text);

/** `child` attaches under `parent` as 10.1.2 says: offer, answer, Join, both Digests. */
function attach(parent: Node, child: Node, childWindow = 32) {
  child.neighbours.add(parent.address);
  child.lossless.onParentNegotiating(parent.address);
  expect(parent.lossless.onOffer(child.address, { ids: 1, window: childWindow })).toBe(
    'remembered',
  );
  parent.neighbours.add(child.address);
  expect(parent.lossless.onChildJoined(child.address)).toBe('negotiating'); // the Join…
  child.lossless.onParentAnswered(parent.address, CAPS); // …then the child's Digest
  net.pump();
  expect(parent.lossless.edges.mode(child.address)).toBe('lossless');
}

describe('Lossless: the digest exchange on attachment', () => {
  it('sends a Digest of its own run first, then the origins most recently heard of', () => {
    net = new Net();
    const a = net.add(A);
    a.neighbours.add(ORIGIN);
    a.lossless.originate('own');
    a.lossless.receive(identified(ORIGIN, 1), ORIGIN);
    a.lossless.onEdgeLossless(C, 'child', 8);
    const [digest] = a.sentTo(net, C);
    expect(digest?.purpose).toBe('digest');
    expect(digest?.packet).toEqual({
      kind: 'digest',
      source: { host: '127.0.0.1', port: 7000 },
      fresh: false,
      entries: [
        { origin: { host: '127.0.0.1', port: 7000 }, epoch: 1_000, hwm: 1 },
        { origin: { host: '127.0.0.1', port: 6000 }, epoch: 1_000, hwm: 1 },
      ],
    });
    expect(a.windows.get(C)).toBe(8);
  });

  it('repairs both sides after a cut: each gets what the other saw, once, in order, and passes it on', () => {
    net = new Net();
    const a = net.add(A);
    const c = net.add(C);
    a.neighbours.add(ORIGIN);
    for (let seq = 1; seq <= 5; seq++) a.lossless.receive(identified(ORIGIN, seq), ORIGIN);
    c.neighbours.add(D); // C's subtree: D is a node of ours too, but not simulated
    c.lossless.edges.set(D, 'child', 'lossless', 32);
    c.lossless.receive(identified(ORIGIN, 1), ORIGIN);
    c.lossless.receive(identified(ORIGIN, 2), ORIGIN);
    c.lossless.originate('from C while cut off');
    net.log.length = 0;

    attach(a, c);

    expect(texts(c)).toEqual([1, 2, 3, 4, 5].map((seq) => `${ORIGIN}#${seq}`));
    expect(texts(a).slice(5)).toEqual(['from C while cut off']);
    expect(a.delivered.at(-1)?.origin).toBe(C);
    expect(c.lossless.counters).toMatchObject({ repairedIn: 3, repairedOut: 1, duplicates: 0 });
    expect(a.lossless.counters).toMatchObject({ repairedIn: 1, repairedOut: 3, duplicates: 0 });
    // The repair flows on into C's subtree like any flood.
    const toD = c.sentTo(net, D).map(({ packet }) => ('seq' in packet ? packet.seq : packet.kind));
    expect(toD).toEqual([3, 4, 5]);
    expect(c.windows.get(A)).toBe(32);
    expect(a.windows.get(C)).toBe(32);
    // What flows after the exchange is live, not a repair.
    a.lossless.receive(identified(ORIGIN, 6), ORIGIN);
    net.pump();
    expect(texts(c).at(-1)).toBe(`${ORIGIN}#6`);
    expect(c.lossless.counters.repairedIn).toBe(3);
  });

  it('fills a gap a node held open while the repair was on its way', () => {
    net = new Net();
    const a = net.add(A);
    const c = net.add(C);
    for (let seq = 1; seq <= 4; seq++) a.lossless.receive(identified(ORIGIN, seq), ORIGIN);
    c.lossless.receive(identified(ORIGIN, 1), ORIGIN);
    c.lossless.receive(identified(ORIGIN, 4), ORIGIN);
    attach(a, c);
    expect(texts(c)).toEqual([1, 2, 3, 4].map((seq) => `${ORIGIN}#${seq}`));
    expect(c.lossless.counters.skipped).toBe(0);
  });

  it('gives a fresh peer none of the past, then every Message at once, and takes what it sent meanwhile', () => {
    net = new Net();
    const a = net.add(A);
    const c = net.add(C, { fresh: true });
    a.neighbours.add(ORIGIN);
    for (let seq = 1; seq <= 3; seq++)
      a.lossless.receive(identified(ORIGIN, seq, { start: false }), ORIGIN);
    c.neighbours.add(A);
    c.lossless.onParentNegotiating(A);
    c.lossless.originate('hello from the new peer');
    a.lossless.onOffer(C, CAPS);
    a.neighbours.add(C);
    a.lossless.onChildJoined(C);
    c.lossless.onParentAnswered(A, CAPS);
    expect(c.sentTo(net, A).at(-1)?.packet).toMatchObject({ kind: 'digest', fresh: true });
    net.pump();
    expect(c.delivered).toEqual([]);
    expect(c.lossless.fresh).toBe(false);
    expect(texts(a).at(-1)).toBe('hello from the new peer');
    a.lossless.receive(identified(ORIGIN, 4, { start: false }), ORIGIN);
    net.pump();
    expect(texts(c)).toEqual([`${ORIGIN}#4`]);
  });

  it('takes a Digest from a child it held version 1 as proof of a lossless edge, and answers it', () => {
    net = new Net();
    const a = net.add(A);
    const c = net.add(C);
    a.neighbours.add(C);
    a.lossless.onChildJoined(C); // no offer remembered (it expired, say): version 1
    c.neighbours.add(A);
    c.lossless.onParentNegotiating(A);
    c.lossless.onParentAnswered(A, CAPS);
    net.pump();
    expect(a.lossless.edges.mode(C)).toBe('lossless');
    expect(a.sentTo(net, C).map(({ packet }) => packet.kind)).toEqual(['digest']);
    expect(c.sentTo(net, A).map(({ packet }) => packet.kind)).toEqual(['digest']);
  });

  it('the parent’s Digest arriving ahead of the probe’s answer makes the edge lossless; a late answer starts no second exchange', () => {
    net = new Net();
    const a = net.add(A);
    const c = net.add(C);
    c.neighbours.add(A);
    a.neighbours.add(C);
    a.lossless.edges.set(C, 'child', 'lossless', 32);
    c.lossless.onParentNegotiating(A); // a renegotiation: A's answer to an earlier Digest is on its way
    a.lossless.onEdgeLossless(C, 'child', 32);
    net.pump();
    expect(c.lossless.edges.mode(A)).toBe('lossless');
    const sent = c.sentTo(net, A).length;
    c.lossless.onParentAnswered(A, CAPS);
    expect(c.sentTo(net, A)).toHaveLength(sent);
  });
});

describe('Lossless: negotiation outcomes at the child', () => {
  it('replays what waited during the negotiation as plain Messages when the parent is version 1', () => {
    net = new Net();
    const c = net.add(C);
    c.neighbours.add(A);
    c.neighbours.add(D);
    c.lossless.originate('before'); // A is not known yet: version 1
    expect(c.sentTo(net, A)).toHaveLength(1);
    net.log.length = 0;
    c.lossless.onParentNegotiating(A);
    c.lossless.originate('during 1');
    c.lossless.receive(identified(ORIGIN, 1, { text: 'during 2' }), D);
    c.lossless.receive(identified(ORIGIN, 2, { text: 'from A itself' }), A);
    expect(c.sentTo(net, A)).toEqual([]);
    c.lossless.onParentVersion1(A);
    expect(
      c
        .sentTo(net, A)
        .map(({ packet, purpose }) => [packet.kind, purpose, 'text' in packet && packet.text]),
    ).toEqual([
      ['message', 'replay', 'during 1'],
      ['message', 'replay', 'during 2'],
    ]);
    c.lossless.originate('after');
    expect(c.sentTo(net, A).at(-1)?.packet).toEqual({ kind: 'message', text: 'after' });
  });

  it('keeps the plain Messages of a parent being negotiated: delivered if it is version 1, left to the exchange if lossless', () => {
    net = new Net();
    const c = net.add(C);
    c.neighbours.add(A);
    const plain = (text: string) => ({
      kind: 'message' as const,
      source: { host: '127.0.0.1', port: 5000 },
      text,
    });
    c.lossless.onParentNegotiating(A);
    expect(c.lossless.receive(plain('while asking'), A)).toBe('held');
    expect(c.delivered).toEqual([]);
    c.lossless.onParentVersion1(A); // a reference or extension-off root: nothing lost
    expect(c.delivered).toEqual([{ text: 'while asking', origin: null, from: A }]);

    const d = net.add(D);
    d.neighbours.add(A);
    d.lossless.onParentNegotiating(A);
    expect(d.lossless.receive(plain('repaired later'), A)).toBe('held');
    d.lossless.onParentAnswered(A, { ids: 1, window: 8 }); // ours: its exchange brings it
    expect(d.delivered).toEqual([]);
    d.lossless.onParentVersion1(A); // nothing held any more
    expect(d.delivered).toEqual([]);
  });

  it('takes an answer without ids=1 for version 1', () => {
    net = new Net();
    const c = net.add(C);
    c.neighbours.add(A);
    c.lossless.onParentNegotiating(A);
    c.lossless.onParentAnswered(A, { window: 8 });
    expect(c.lossless.edges.mode(A)).toBe('v1');
  });

  it('forgets the edge and its window when the neighbour goes (fresh still: it adopted no parent Digest)', () => {
    net = new Net();
    const c = net.add(C, { fresh: true });
    c.neighbours.add(A);
    c.lossless.onParentNegotiating(A);
    c.lossless.onParentAnswered(A, { ids: 1, window: 4 });
    expect(c.windows.get(A)).toBe(4);
    c.lossless.onEdgeGone(A);
    expect(c.windows.has(A) && c.windows.get(A)).toBeUndefined();
    expect(c.lossless.edges.mode(A)).toBe('v1');
    expect(c.lossless.fresh).toBe(true);
  });
});

describe('Lossless: a root restarted on its store', () => {
  it('gets every child’s cache and floods the union, each child keeping only what it lacked', () => {
    net = new Net();
    const left = net.add(C);
    const right = net.add(D);
    for (const child of [left, right]) {
      child.neighbours.add(A);
      child.lossless.edges.set(A, 'parent', 'lossless', 32);
    }
    left.lossless.originate('left 1');
    left.lossless.originate('left 2');
    right.lossless.originate('right 1');
    net.log.length = 0;
    const root = net.add(A); // the restarted root: nothing seen, never fresh
    for (const child of [C, D]) {
      root.neighbours.add(child);
      expect(root.lossless.onChildJoined(child)).toBe('v1'); // put back from its store
    }
    for (const child of [left, right]) {
      child.lossless.onParentNegotiating(A); // a hello got through: offer again
      expect(root.lossless.onOffer(child.address, CAPS)).toBe('negotiating');
      child.lossless.onParentAnswered(A, CAPS);
    }
    net.pump();
    expect(texts(left)).toEqual(['right 1']);
    expect(texts(right)).toEqual(['left 1', 'left 2']);
    expect(texts(root).sort()).toEqual(['left 1', 'left 2', 'right 1']);
  });
});
