import { describe, expect, it } from 'vitest';
import { ManualClock, Peer, type PeerEvents } from '../src/index.js';
import { addr, FakeTransport, placeUnder, rejectionOf, settle } from './fake-transport.js';

// Active/standby roots on their own addresses: A leads first, B stands by (and does not listen).
const A = '127.0.0.1:5353';
const B = '127.0.0.1:5354';
const SELF = '127.0.0.1:6501';
const P1 = '127.0.0.1:6601';
const CHILD = '127.0.0.1:6701';

function setup(
  root: ConstructorParameters<typeof Peer>[0]['root'],
  mode: 'auto' | 'manual' = 'auto',
) {
  const clock = new ManualClock();
  const transport = new FakeTransport(SELF);
  const peer = new Peer({
    transport,
    root,
    mode,
    clock,
    timings: { helloInterval: 4_000, peerTimeout: 38_000 },
  });
  const unreachable: Array<PeerEvents['root-unreachable'][0]> = [];
  peer.on('root-unreachable', (event) => unreachable.push(event));
  return { clock, transport, peer, unreachable };
}

describe('a peer given several root addresses', () => {
  it("takes 'A,B', a list of strings or of addresses; the first is the one it talks to", () => {
    for (const root of [`${A}, ${B}`, [A, B], [addr(A), addr(B)], `${A},${B},${A}`]) {
      const { peer } = setup(root);
      expect(peer.roots).toEqual([A, B]);
      expect(peer.root).toBe(A);
      expect(peer.status()).toMatchObject({ root: A, roots: [A, B] });
    }
    expect(setup(A).peer.roots).toEqual([A]);
  });

  it('refuses a list with a port 0, a wildcard, nothing, or itself', () => {
    for (const root of [`${A},127.0.0.1:0`, `0.0.0.0:5353,${B}`, [], `${A},`, `${A},${SELF}`]) {
      expect(() => setup(root)).toThrow(
        expect.objectContaining({ code: 'ERR_PEER_INVALID_OPTIONS' }),
      );
    }
  });

  it('the first root refuses: registers and advertises through the second at once', async () => {
    const s = setup(`${A},${B}`);
    s.transport.down.add(A); // a standby does not listen
    s.peer.begin();
    await settle();
    expect(s.transport.take('register-request', B)).toHaveLength(1);
    expect(s.unreachable).toEqual([
      { error: expect.stringContaining(`cannot reach the root ${A}`), retryInMs: 0 },
    ]);
    s.transport.deliver({ kind: 'register-response', source: addr(B) });
    await settle();
    expect(s.peer.registered).toBe(true);
    expect(s.peer.root).toBe(B);
    expect(s.transport.take('advertise-request', B)).toHaveLength(1);
    s.transport.deliver({ kind: 'advertise-response', source: addr(B), parent: addr(P1) });
    await settle();
    expect(s.peer.parent).toBe(P1);
    expect(s.peer.counters.dropped['not-from-root']).toBe(0);
  });

  it('takes the backoff after each round of roots, not after each root', async () => {
    const s = setup([A, B]);
    s.transport.down.add(A);
    s.transport.down.add(B);
    s.peer.begin();
    for (let i = 0; i < 3; i++) {
      await settle();
      s.clock.advance(10_000);
    }
    await settle();
    expect(s.unreachable.slice(0, 6).map((e) => e.retryInMs)).toEqual([0, 250, 0, 500, 0, 1000]);
    const refused = s.unreachable.map((e) => e.error.match(/root (\S+):/)?.[1]);
    expect(refused.slice(0, 6)).toEqual([A, B, A, B, A, B]);
  });

  it('an unanswered request moves to the next root after the request timeout', async () => {
    const s = setup([A, B]);
    s.peer.begin();
    await settle();
    expect(s.transport.take('register-request', A)).toHaveLength(1);
    s.clock.advance(5_000); // A took the connection but does not answer (lost the database)
    await settle();
    expect(s.transport.take('register-request', B)).toHaveLength(1);
    expect(s.unreachable[0]).toMatchObject({ retryInMs: 0 });
  });

  it('manual mode tries each root once, then rejects', async () => {
    const s = setup([A, B], 'manual');
    s.transport.down.add(A);
    s.transport.down.add(B);
    const error = await rejectionOf(s.peer.register());
    expect(error.code).toBe('ERR_PEER_ROOT_UNREACHABLE');
    expect(error.message).toContain(B);
    expect(s.transport.sent).toEqual([]);
    expect(s.unreachable.map((e) => e.retryInMs)).toEqual([0, null]);
  });

  it('answers from either root are the root: a RESACK from B, an Advertise response from A', async () => {
    const s = setup([A, B]);
    s.peer.begin();
    await settle();
    s.transport.deliver({ kind: 'register-response', source: addr(B) });
    await settle();
    expect(s.peer.registered).toBe(true);
    expect(s.peer.root).toBe(B); // it answered: it leads
    s.transport.deliver({ kind: 'advertise-response', source: addr(A), parent: addr(A) });
    await settle();
    expect(s.peer.parent).toBe(A);
    expect(s.peer.root).toBe(A);
    // Another node's answer is still not the root's.
    s.transport.deliver({ kind: 'register-response', source: addr(P1) });
    expect(s.peer.counters.dropped['not-from-root']).toBe(1);
  });

  it('a child of the root follows the leader: hellos go to B when A dies, B answers, nothing is re-advertised', async () => {
    const s = setup([A, B]);
    await placeUnder(s.peer, s.transport, A, A);
    expect(s.peer.parent).toBe(A);
    // A child below us, whose hello we relay.
    s.transport.deliver({ kind: 'join', source: addr(CHILD) });
    s.transport.deliver({ kind: 'reunion-hello-back', source: addr(A), path: [addr(SELF)] });
    s.clock.advance(4_000); // our hello goes out; A is SIGKILLed before answering it
    s.transport.deliver({ kind: 'reunion-hello', source: addr(CHILD), path: [addr(CHILD)] });
    await settle();
    s.transport.sent.length = 0;
    s.transport.fail(A, 'ERR_STREAM_CLOSED');
    s.transport.down.add(A);
    s.clock.advance(250);
    await settle();
    // The outstanding hello, and the child's, go to B, now our parent.
    expect(s.peer.parent).toBe(B);
    expect(s.peer.root).toBe(B);
    expect(s.transport.take('reunion-hello', B).map((sent) => sent.packet)).toEqual([
      { kind: 'reunion-hello', source: addr(SELF), path: [addr(SELF)] },
      { kind: 'reunion-hello', source: addr(SELF), path: [addr(CHILD), addr(SELF)] },
    ]);
    s.transport.deliver({ kind: 'reunion-hello-back', source: addr(B), path: [addr(SELF)] });
    s.transport.deliver({
      kind: 'reunion-hello-back',
      source: addr(B),
      path: [addr(SELF), addr(CHILD)],
    });
    await settle();
    expect(s.transport.take('reunion-hello-back', CHILD)).toHaveLength(1);
    s.clock.advance(38_000);
    await settle();
    expect(s.peer.reunion).toBe('attached');
    expect(s.peer.parent).toBe(B);
    expect(s.transport.take('advertise-request')).toEqual([]);
    expect(s.transport.take('join')).toEqual([]); // B has us under the root already
    expect(s.peer.counters.dropped['not-a-neighbour']).toBe(0);
  });

  it('a child of the root moves to the root after the one it was under, wherever requests went', async () => {
    const C = '127.0.0.1:5355';
    const s = setup([A, B, C]);
    await placeUnder(s.peer, s.transport, A, A);
    // A Register that A leaves unanswered moves the requests on to B, which answers.
    void s.peer.register();
    await settle();
    s.clock.advance(5_000);
    await settle();
    s.transport.deliver({ kind: 'register-response', source: addr(B) });
    await settle();
    s.transport.sent.length = 0;
    expect(s.peer.parent).toBe(A);
    s.transport.down.add(A);
    s.transport.fail(A, 'ERR_STREAM_CLOSED');
    s.clock.advance(250);
    await settle();
    expect(s.peer.parent).toBe(B);
  });

  it('a child of the root keeps trying the roots in turn while none answers', async () => {
    const s = setup([A, B]);
    await placeUnder(s.peer, s.transport, A, A);
    s.transport.deliver({ kind: 'reunion-hello-back', source: addr(A), path: [addr(SELF)] });
    s.clock.advance(4_000);
    await settle();
    s.transport.sent.length = 0;
    s.transport.down.add(A);
    s.transport.down.add(B);
    s.transport.fail(A, 'ERR_STREAM_CLOSED');
    const tried: Array<string | null> = [];
    for (let i = 0; i < 4; i++) {
      s.clock.advance(4_000);
      await settle();
      tried.push(s.peer.parent);
    }
    expect(tried).toEqual([B, A, B, A]);
    s.transport.down.delete(B); // B leads
    s.clock.advance(4_000);
    await settle();
    expect(s.peer.parent).toBe(B);
    s.transport.deliver({ kind: 'reunion-hello-back', source: addr(B), path: [addr(SELF)] });
    s.clock.advance(38_000);
    await settle();
    expect(s.peer.reunion).toBe('attached');
  });
});
