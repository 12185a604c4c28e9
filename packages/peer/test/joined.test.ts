import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, Peer, type PeerError } from '../src/index.js';
import { addr, FakeTransport, placeUnder, rejectionOf, settle } from './fake-transport.js';
import { StandInRoot } from './stand-in-root.js';

const ROOT = '127.0.0.1:5353';
const SELF = '127.0.0.1:6501';
const PARENT = '127.0.0.1:6601';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

function fakePeer() {
  const clock = new ManualClock();
  const transport = new FakeTransport(SELF);
  const peer = new Peer({ transport, root: ROOT, clock });
  return { clock, transport, peer };
}

describe('peer.joined(): waiting until the peer is in the tree', () => {
  it('resolves with the parent once a hello is answered through it after the Join, not before', async () => {
    const { transport, peer } = fakePeer();
    let parent: string | undefined;
    void peer.joined().then((p) => {
      parent = p;
    });
    peer.begin();
    await settle();
    transport.deliver({ kind: 'register-response', source: addr(ROOT) });
    await settle();
    expect(parent).toBeUndefined();
    transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(PARENT) });
    await settle();
    // The Join is acknowledged, and the first hello went right behind it.
    expect(transport.take('join', PARENT)).toHaveLength(1);
    expect(transport.take('reunion-hello', PARENT)).toHaveLength(1);
    expect(parent).toBeUndefined();
    expect(peer.status().joined).toBe(false);
    transport.deliver({ kind: 'reunion-hello-back', source: addr(PARENT), path: [addr(SELF)] });
    await settle();
    expect(parent).toBe(PARENT);
    expect(peer.status().joined).toBe(true);
    expect(await peer.joined()).toBe(PARENT); // at once when already joined
  });

  it('a parent that acknowledges the Join but refused it (no hello answered) is not joined', async () => {
    const { clock, transport, peer } = fakePeer();
    const waiting = rejectionOf<PeerError>(peer.joined({ timeoutMs: 2_000 }));
    await placeUnder(peer, transport, ROOT, PARENT);
    clock.advance(2_000);
    expect((await waiting).message).toBe(
      `the peer did not join the tree within 2 s: the parent ${PARENT} took the Join but no hello ` +
        'has been answered through it (it may have refused the Join)',
    );
    expect(peer.status().joined).toBe(false);
  });

  it('a late acknowledgement of an old Join, after re-attaching elsewhere, is no join', async () => {
    const { transport, peer } = fakePeer();
    const OTHER = '127.0.0.1:6602';
    transport.held.add(PARENT);
    transport.stalled.add(OTHER);
    const joined: string[] = [];
    peer.on('joined', ({ parent }) => joined.push(parent));
    await placeUnder(peer, transport, ROOT, PARENT);
    transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(OTHER) });
    await settle();
    expect(peer.parent).toBe(OTHER);
    transport.release(PARENT); // the first Join's ACK, late
    await settle();
    expect(joined).toEqual([]);
    expect(peer.status().joined).toBe(false);
  });

  it('many callers waiting share one set of listeners on the peer', async () => {
    const { transport, peer } = fakePeer();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const waiting = Array.from({ length: 20 }, () => peer.joined({ timeoutMs: 60_000 }));
      expect(peer.listenerCount('joined')).toBe(1);
      expect(peer.listenerCount('dropped')).toBe(1);
      await placeUnder(peer, transport, ROOT, PARENT);
      transport.deliver({ kind: 'reunion-hello-back', source: addr(PARENT), path: [addr(SELF)] });
      expect(await Promise.all(waiting)).toEqual(Array(20).fill(PARENT));
      expect(peer.listenerCount('joined')).toBe(0);
      await settle(); // a warning is emitted on the next tick
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('a timeout beyond the longest timer (2^31-1 ms) waits instead of firing at once', async () => {
    // The real clock: Node turns a longer delay into 1 ms.
    const transport = new FakeTransport(SELF);
    const peer = new Peer({ transport, root: ROOT });
    closers.push(() => peer.close());
    let settled = false;
    const waiting = peer.joined({ timeoutMs: 2 ** 31 }).finally(() => {
      settled = true;
    });
    // A 1 ms timer set after the wait's own fires after it would have.
    await new Promise((resolve) => setTimeout(resolve, 1));
    await settle();
    expect(settled).toBe(false);
    await placeUnder(peer, transport, ROOT, PARENT);
    transport.deliver({ kind: 'reunion-hello-back', source: addr(PARENT), path: [addr(SELF)] });
    expect(await waiting).toBe(PARENT);
  });

  it('times out with ERR_PEER_JOIN_TIMEOUT saying the root could not be reached, and why', async () => {
    const { clock, transport, peer } = fakePeer();
    transport.down.add(ROOT);
    const waiting = rejectionOf<PeerError>(peer.joined({ timeoutMs: 5_000 }));
    peer.begin();
    await settle();
    clock.advance(5_000);
    const error = await waiting;
    expect(error.code).toBe('ERR_PEER_JOIN_TIMEOUT');
    expect(error.message).toBe(
      `the peer did not join the tree within 5 s: cannot reach the root ${ROOT}: connect ECONNREFUSED ${ROOT}`,
    );
  });

  it('times out saying which step is missing: a parent that never acknowledges the Join', async () => {
    const { clock, transport, peer } = fakePeer();
    transport.stalled.add(PARENT);
    const waiting = rejectionOf<PeerError>(peer.joined({ timeoutMs: 1_500 }));
    await placeUnder(peer, transport, ROOT, PARENT);
    clock.advance(1_500);
    expect((await waiting).message).toBe(
      `the peer did not join the tree within 1.5 s: the parent ${PARENT} has not acknowledged the Join`,
    );
  });

  it('says so when the answer comes from another address than the root it was given', async () => {
    const { clock, transport, peer } = fakePeer();
    const waiting = rejectionOf<PeerError>(peer.joined({ timeoutMs: 1_000 }));
    peer.begin();
    await settle();
    transport.deliver({ kind: 'register-response', source: addr('0.0.0.0:5353') });
    clock.advance(1_000);
    expect((await waiting).message).toContain(
      'an answer came from 0.0.0.0:5353, not from the root address given (127.0.0.1:5353)',
    );
  });

  it('rejects ERR_PEER_CLOSED when the peer closes and ERR_PEER_ABORTED when the signal aborts', async () => {
    const { peer } = fakePeer();
    const controller = new AbortController();
    const aborted = rejectionOf<PeerError>(peer.joined({ signal: controller.signal }));
    controller.abort(new Error('user gave up'));
    expect(await aborted).toMatchObject({ code: 'ERR_PEER_ABORTED' });
    const closed = rejectionOf<PeerError>(peer.joined());
    await peer.close();
    expect(await closed).toMatchObject({ code: 'ERR_PEER_CLOSED' });
    expect(await rejectionOf<PeerError>(peer.joined())).toMatchObject({ code: 'ERR_PEER_CLOSED' });
  });

  it('a peer that joined again after losing its parent is joined again', async () => {
    const { transport, peer } = fakePeer();
    await placeUnder(peer, transport, ROOT, PARENT);
    transport.fail(PARENT);
    expect(peer.status().joined).toBe(false);
    const waiting = peer.joined({ timeoutMs: 1_000 });
    transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(ROOT) });
    await settle();
    transport.deliver({ kind: 'reunion-hello-back', source: addr(ROOT), path: [addr(SELF)] });
    expect(await waiting).toBe(ROOT);
  });
});

describe('over real sockets', () => {
  it('a broadcast right after joined() reaches the tree', async () => {
    const root = await StandInRoot.start();
    closers.push(() => root.close());
    const peer = await Peer.start({ listen: '127.0.0.1:0', root: root.address, timings: 'fast' });
    closers.push(() => peer.close());
    const received = new Promise<string>((resolve) =>
      root.once('message', ({ text }) => resolve(text)),
    );
    expect(await peer.joined({ timeoutMs: 10_000 })).toBe(root.address);
    expect(await peer.broadcast('hello tree')).toEqual({ delivered: 1, failed: [] });
    expect(await received).toBe('hello tree');
  });
});
