import type { Packet } from '@p2p/codec';
import { describe, expect, it } from 'vitest';
import { ManualClock, Peer } from '../src/index.js';
import { addr, FakeTransport, settle } from './fake-transport.js';

const ROOT = '127.0.0.1:5353';
const SELF = '127.0.0.1:6501';
const P1 = '127.0.0.1:6601';
const P2 = '127.0.0.1:6602';
const CHILD = '127.0.0.1:6701';
const GRANDCHILD = '127.0.0.1:6801';

async function attached(parent: string) {
  const clock = new ManualClock();
  const transport = new FakeTransport(SELF);
  const peer = new Peer({
    transport,
    root: ROOT,
    clock,
    timings: { helloInterval: 4_000, peerTimeout: 38_000 },
  });
  peer.begin();
  await settle();
  transport.deliver({ kind: 'register-response', source: addr(ROOT) });
  await settle();
  transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(parent) });
  await settle();
  transport.sent.length = 0;
  return { clock, transport, peer };
}

/** Still attached 1 ms before `ms` from now, in reunion failure at `ms`. */
async function expectFailureIn(clock: ManualClock, peer: Peer, ms: number): Promise<void> {
  clock.advance(ms - 1);
  await settle();
  expect(peer.reunion).toBe('attached');
  clock.advance(1);
  await settle();
  expect(peer.reunion).toBe('failure');
}

const pathOf = (packet: Packet): string[] =>
  'path' in packet ? packet.path.map((a) => `${a.host}:${a.port}`) : [];
const paths = (sent: Array<{ packet: Packet }>) => sent.map(({ packet }) => pathOf(packet));

/** Reunion failure under `from` (unreachable), then the root places the peer under `to`. */
async function moves(transport: FakeTransport, from: string, to: string): Promise<void> {
  transport.fail(from);
  await settle();
  transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(to) });
  await settle();
}

describe('a peer that moves to another parent (Leave)', () => {
  it('tells the parent it left, then drops the connection a hello interval after the ACK', async () => {
    const { transport, clock, peer } = await attached(P1);
    await moves(transport, P1, P2);
    expect(peer.parent).toBe(P2);
    expect(transport.take('leave', P1)).toHaveLength(1);
    expect(transport.take('join', P2)).toHaveLength(1);
    // Not at once: a reference parent dies of a close right behind the ACK it wrote.
    clock.advance(3_999);
    await settle();
    expect(transport.disconnected).not.toContain(P1);
    clock.advance(1);
    expect(transport.disconnected).toContain(P1);
  });

  it('keeps the connection to a former parent it went back under before the drop was due', async () => {
    const { transport, clock, peer } = await attached(P1);
    await moves(transport, P1, P2);
    await moves(transport, P2, P1);
    expect(peer.parent).toBe(P1);
    clock.advance(4_000);
    await settle();
    expect(transport.disconnected).not.toContain(P1);
    expect(transport.disconnected).toContain(P2);
  });

  it('leaves no drop pending when it closes before the drop is due', async () => {
    const { transport, clock, peer } = await attached(P1);
    await moves(transport, P1, P2);
    expect(transport.take('leave', P1)).toHaveLength(1);
    await peer.close();
    expect(clock.pending).toBe(0);
    expect(transport.disconnected).not.toContain(P1);
  });

  it('says nothing to the root, which moved it itself', async () => {
    const { transport, clock, peer } = await attached(ROOT);
    clock.advance(4_000 + 38_000); // the hello is never answered
    await settle();
    expect(peer.reunion).toBe('failure');
    transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(P2) });
    await settle();
    expect(transport.take('leave')).toEqual([]);
    expect(transport.disconnected).not.toContain(ROOT);
  });

  it('says nothing when it goes back under the same parent', async () => {
    const { transport, clock, peer } = await attached(P1);
    clock.advance(4_000 + 38_000); // the hello is never answered
    await settle();
    expect(peer.reunion).toBe('failure');
    transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(P1) });
    await settle();
    expect(transport.take('leave')).toEqual([]);
  });

  it('a parent told by its child that it left no longer counts it', async () => {
    const { transport, peer } = await attached(P1);
    transport.deliver({ kind: 'join', source: addr(CHILD) });
    expect(peer.children).toEqual([CHILD]);
    transport.deliver({ kind: 'leave', source: addr(CHILD) });
    expect(peer.children).toEqual([]);
    transport.deliver({ kind: 'message', source: addr(P1), text: 'hi' });
    await settle();
    expect(transport.take('message', CHILD)).toEqual([]);
    transport.deliver({ kind: 'leave', source: addr(P2) }); // not a child: dropped
    expect(peer.counters.dropped['not-a-neighbour']).toBe(1);
  });

  it('keeps the connection to the parent it left when that node has become its child', async () => {
    const { transport, peer } = await attached(P1);
    transport.fail(P1); // reunion failure
    await settle();
    transport.held.add(P1); // the Leave waits for its ACK
    transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(P2) });
    await settle();
    transport.deliver({ kind: 'join', source: addr(P1) }); // the root placed P1 under us
    transport.release(P1);
    await settle();
    expect(peer.children).toEqual([P1]);
    expect(transport.disconnected).not.toContain(P1);
  });
});

describe('a child whose Leave never arrived', () => {
  /** Answers our own hello, so that we stay attached while time passes. */
  async function passHelloInterval(clock: ManualClock, transport: FakeTransport, peer: Peer) {
    clock.advance(4_000);
    await settle();
    if (peer.status().helloOutstanding)
      transport.deliver({ kind: 'reunion-hello-back', source: addr(P1), path: [addr(SELF)] });
    await settle();
  }

  it('is dropped once no hello came from it for the peer timeout and a hello interval', async () => {
    const { transport, clock, peer } = await attached(P1);
    const removed: string[] = [];
    peer.on('neighbour-removed', ({ neighbour, reason }) => removed.push(`${neighbour} ${reason}`));
    transport.deliver({ kind: 'join', source: addr(CHILD) });
    transport.deliver({ kind: 'reunion-hello', source: addr(CHILD), path: [addr(CHILD)] });
    // It left for another parent; its Leave was lost (we were stopped). 40 s pass: still kept.
    for (let i = 0; i < 10; i++) await passHelloInterval(clock, transport, peer);
    expect(peer.children).toEqual([CHILD]);
    clock.advance(2_000); // 42 s: the peer timeout and a hello interval
    await settle();
    expect(peer.children).toEqual([]);
    expect(removed).toEqual([`${CHILD} silent`]);
    transport.deliver({ kind: 'message', source: addr(P1), text: 'hi' });
    await settle();
    expect(transport.take('message', CHILD)).toEqual([]);
    expect(peer.reunion).toBe('attached');
  });

  it('is kept while hellos come from it, its own or relayed for its subtree', async () => {
    const { transport, clock, peer } = await attached(P1);
    transport.deliver({ kind: 'join', source: addr(CHILD) });
    for (let i = 0; i < 30; i++) {
      await passHelloInterval(clock, transport, peer);
      const path = i % 2 === 0 ? [addr(CHILD)] : [addr(GRANDCHILD), addr(CHILD)];
      transport.deliver({ kind: 'reunion-hello', source: addr(CHILD), path });
    }
    expect(peer.children).toEqual([CHILD]);
  });
});

describe('hellos relayed for the subtree', () => {
  it('are relayed again once re-attached when the parent failed with them, until answered', async () => {
    const { transport, peer } = await attached(P1);
    transport.deliver({ kind: 'join', source: addr(CHILD) });
    transport.deliver({
      kind: 'reunion-hello',
      source: addr(CHILD),
      path: [addr(GRANDCHILD), addr(CHILD)],
    });
    transport.deliver({ kind: 'reunion-hello', source: addr(CHILD), path: [addr(CHILD)] });
    await settle();
    expect(paths(transport.take('reunion-hello', P1))).toEqual([
      [GRANDCHILD, CHILD, SELF],
      [CHILD, SELF],
    ]);
    // The child's own hello is answered; the grandchild's is lost with P1.
    transport.deliver({
      kind: 'reunion-hello-back',
      source: addr(P1),
      path: [addr(SELF), addr(CHILD)],
    });
    transport.fail(P1);
    await settle();
    expect(peer.reunion).toBe('failure');
    transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(P2) });
    await settle();
    const again = transport.take('reunion-hello', P2).filter((s) => pathOf(s.packet).length !== 1);
    expect(paths(again)).toEqual([[GRANDCHILD, CHILD, SELF]]);
    transport.deliver({
      kind: 'reunion-hello-back',
      source: addr(P2),
      path: [addr(SELF), addr(CHILD), addr(GRANDCHILD)],
    });
    await settle();
    expect(paths(transport.take('reunion-hello-back', CHILD))).toEqual([
      [CHILD],
      [CHILD, GRANDCHILD],
    ]);
    // Answered: not relayed again at the next re-attachment.
    transport.fail(P2);
    await settle();
    transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(P1) });
    await settle();
    expect(
      transport.take('reunion-hello', P1).filter((s) => pathOf(s.packet).length !== 1),
    ).toEqual([]);
  });

  it('are kept while in reunion failure, to be relayed once attached', async () => {
    const { transport, peer } = await attached(P1);
    transport.deliver({ kind: 'join', source: addr(CHILD) });
    transport.fail(P1);
    await settle();
    transport.deliver({ kind: 'reunion-hello', source: addr(CHILD), path: [addr(CHILD)] });
    expect(peer.counters.dropped['reunion-failure']).toBe(1);
    transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(P2) });
    await settle();
    expect(paths(transport.take('reunion-hello', P2))).toContainEqual([CHILD, SELF]);
  });

  it('leaves a parent that does not even acknowledge its hello within half the peer timeout', async () => {
    const { transport, clock, peer } = await attached(P1);
    transport.deliver({ kind: 'reunion-hello-back', source: addr(P1), path: [addr(SELF)] });
    transport.stalled.add(P1); // stopped: the socket is open, nothing answers
    clock.advance(4_000);
    await settle();
    await expectFailureIn(clock, peer, 19_000);
  });

  it('leaves a parent that does not acknowledge a hello it relays, even with its own outstanding', async () => {
    const { transport, clock, peer } = await attached(P1); // its own hello is outstanding
    transport.deliver({ kind: 'join', source: addr(CHILD) });
    transport.stalled.add(P1);
    clock.advance(1_000);
    transport.deliver({ kind: 'reunion-hello', source: addr(CHILD), path: [addr(CHILD)] });
    await settle();
    await expectFailureIn(clock, peer, 19_000);
  });
});
