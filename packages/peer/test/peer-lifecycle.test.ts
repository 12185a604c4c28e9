import { describe, expect, it } from 'vitest';
import { ManualClock, Peer, PeerError, type PeerEvents } from '../src/index.js';
import { addr, FakeTransport, settle } from './fake-transport.js';

const ROOT = '127.0.0.1:5353';
const SELF = '127.0.0.1:6501';
const P1 = '127.0.0.1:6601';
const P2 = '127.0.0.1:6602';

function setup(mode: 'auto' | 'manual' = 'auto') {
  const clock = new ManualClock();
  const transport = new FakeTransport(SELF);
  const peer = new Peer({
    transport,
    root: ROOT,
    mode,
    clock,
    timings: { helloInterval: 4_000, peerTimeout: 38_000 },
  });
  const events: Array<[keyof PeerEvents, unknown]> = [];
  for (const name of [
    'registered',
    'parent',
    'reunion-failure',
    'root-unreachable',
    'dropped',
    'message',
  ] as const) {
    peer.on(name, (payload: unknown) => events.push([name, payload]));
  }
  return { clock, transport, peer, events };
}

/** Drives a peer in auto mode until it is attached to `parent`. */
async function attach(s: ReturnType<typeof setup>, parent: string) {
  s.peer.begin();
  await settle();
  s.transport.deliver({ kind: 'register-response', source: addr(ROOT) });
  await settle();
  s.transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(parent) });
  await settle();
}

/** Attached to P1, the peer holds on for exactly the peer timeout, then fails and re-advertises. */
async function expectTimeoutAfterPeerTimeout(s: ReturnType<typeof setup>) {
  s.transport.take('advertise-request');
  s.clock.advance(37_999);
  expect(s.peer.reunion).toBe('attached');
  s.clock.advance(1);
  await settle();
  expect(s.peer.reunion).toBe('failure');
  expect(s.events.find(([name]) => name === 'reunion-failure')?.[1]).toEqual({
    reason: 'timeout',
    parent: P1,
  });
  expect(s.transport.take('advertise-request', ROOT)).toHaveLength(1);
}

describe('register and advertise (5.2, 5.3)', () => {
  it('auto mode registers, advertises, joins the parent and sends its first hello', async () => {
    const s = setup();
    s.peer.begin();
    await settle();
    expect(s.transport.take('register-request', ROOT)[0]?.packet).toEqual({
      kind: 'register-request',
      source: addr(SELF),
      address: addr(SELF),
    });
    s.transport.deliver({ kind: 'register-response', source: addr(ROOT) });
    await settle();
    expect(s.peer.registered).toBe(true);
    expect(s.transport.take('advertise-request', ROOT)).toHaveLength(1);
    s.transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(P1) });
    await settle();
    expect(s.peer.parent).toBe(P1);
    expect(s.transport.take('join', P1)).toHaveLength(1);
    expect(s.transport.take('reunion-hello', P1)[0]?.packet).toMatchObject({ path: [addr(SELF)] });
    expect(s.events.map(([name]) => name)).toEqual(['registered', 'parent']);
    expect(s.peer.status()).toMatchObject({
      registered: true,
      parent: P1,
      reunion: 'attached',
      helloOutstanding: true,
    });
  });

  it('manual mode sends nothing until told; Advertise before Register is refused', async () => {
    const s = setup('manual');
    s.peer.begin();
    await settle();
    expect(s.transport.sent).toEqual([]);
    await expect(s.peer.advertise()).rejects.toMatchObject({ code: 'ERR_PEER_NOT_REGISTERED' });
    const registering = s.peer.register();
    await settle();
    s.transport.deliver({ kind: 'register-response', source: addr(ROOT) });
    await registering;
    const advertising = s.peer.advertise();
    await settle();
    s.transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(ROOT) });
    await expect(advertising).resolves.toBe(ROOT);
  });

  it('manual Register with the root down rejects with a clear error', async () => {
    const s = setup('manual');
    s.transport.down.add(ROOT);
    const error = await s.peer.register().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PeerError);
    expect(error).toMatchObject({ code: 'ERR_PEER_ROOT_UNREACHABLE' });
    expect((error as Error).message).toContain(ROOT);
  });

  it('manual Register with no answer rejects after the request timeout', async () => {
    const s = setup('manual');
    const registering = s.peer.register().catch((e: unknown) => e);
    await settle();
    s.clock.advance(5_000);
    expect(await registering).toMatchObject({ code: 'ERR_PEER_NO_ANSWER' });
  });

  it('auto mode retries an unreachable root with growing backoff and says so', async () => {
    const s = setup();
    s.transport.down.add(ROOT);
    s.peer.begin();
    for (let i = 0; i < 4; i++) {
      await settle();
      s.clock.advance(10_000);
    }
    await settle();
    const delays = s.events
      .filter(([name]) => name === 'root-unreachable')
      .map(([, e]) => (e as { retryInMs: number }).retryInMs);
    expect(delays.slice(0, 4)).toEqual([250, 500, 1000, 2000]);
    s.transport.down.delete(ROOT);
    s.clock.advance(10_000);
    await settle();
    expect(s.transport.take('register-request', ROOT).length).toBeGreaterThan(0);
    s.transport.deliver({ kind: 'register-response', source: addr(ROOT) });
    await settle();
    expect(s.peer.registered).toBe(true);
  });

  it('ignores Register requests and answers that do not come from the root', async () => {
    const s = setup();
    s.transport.deliver({ kind: 'register-request', source: addr(P1), address: addr(P1) });
    s.transport.deliver({ kind: 'register-response', source: addr(P1) });
    expect(s.peer.registered).toBe(false);
    expect(s.peer.counters.dropped['unexpected-kind']).toBe(1);
    expect(s.peer.counters.dropped['not-from-root']).toBe(1);
    expect(s.transport.sent).toEqual([]);
  });

  it('a new parent replaces the old one cleanly', async () => {
    const s = setup();
    await attach(s, P1);
    s.transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(P2) });
    await settle();
    expect(s.peer.parent).toBe(P2);
    expect(s.peer.neighbours).toEqual([P2]);
    s.clock.advance(4_000); // the old parent's connection goes a hello interval after its Leave
    expect(s.transport.disconnected).toContain(P1);
    expect(s.transport.take('join', P2)).toHaveLength(1);
    s.transport.deliver({ kind: 'message', source: addr(P1), text: 'from the old parent' });
    expect(s.peer.counters.dropped['not-a-neighbour']).toBe(1);
    expect(s.events.filter(([name]) => name === 'parent').map(([, e]) => e)).toEqual([
      { parent: P1, previous: null },
      { parent: P2, previous: P1 },
    ]);
  });

  it('close() is idempotent and rejects pending requests', async () => {
    const s = setup('manual');
    const registering = s.peer.register().catch((e: unknown) => e);
    await settle();
    await Promise.all([s.peer.close(), s.peer.close()]);
    expect(await registering).toMatchObject({ code: 'ERR_PEER_CLOSED' });
    expect(s.transport.closed).toBe(true);
    expect(s.clock.pending).toBe(0);
  });
});

describe('reunion cycle (5.6)', () => {
  it('sends a hello every interval only when none is outstanding', async () => {
    const s = setup();
    await attach(s, P1);
    expect(s.transport.take('reunion-hello', P1)).toHaveLength(1);
    s.clock.advance(4_000);
    s.clock.advance(4_000);
    expect(s.transport.take('reunion-hello', P1)).toHaveLength(0);
    s.transport.deliver({ kind: 'reunion-hello-back', source: addr(P1), path: [addr(SELF)] });
    expect(s.peer.status().helloOutstanding).toBe(false);
    s.clock.advance(4_000);
    expect(s.transport.take('reunion-hello', P1)).toHaveLength(1);
  });

  it('enters reunion failure after the peer timeout and re-advertises', async () => {
    const s = setup();
    await attach(s, P1);
    await expectTimeoutAfterPeerTimeout(s);
  });

  it('a parent that never acknowledges the Join costs one peer timeout, not the ACK timeout', async () => {
    const s = setup();
    s.transport.stalled.add(P1);
    await attach(s, P1);
    expect(s.transport.take('join', P1)).toHaveLength(1);
    expect(s.transport.take('reunion-hello')).toEqual([]);
    await expectTimeoutAfterPeerTimeout(s);
  });

  it('a root parent whose connection fails before it acknowledges the Join: the peer timeout still runs from the Join', async () => {
    // The root stops (its socket open, nothing answering) as it places the peer under itself. The
    // Join's ACK never comes and the connection fails at the ACK timeout; the peer keeps its place
    // (the root may be restarting, 5.6.6) for one peer timeout from the Join, not from its failure.
    const s = setup();
    s.peer.begin();
    await settle();
    s.transport.deliver({ kind: 'register-response', source: addr(ROOT) });
    await settle();
    s.transport.held.add(ROOT);
    s.transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(ROOT) });
    await settle();
    expect(s.transport.take('join', ROOT)).toHaveLength(1);
    s.clock.advance(10_000); // the ACK timeout
    s.transport.fail(ROOT, 'ERR_STREAM_ACK_TIMEOUT');
    s.transport.held.delete(ROOT);
    s.transport.down.add(ROOT); // and refused from now on
    s.transport.release(ROOT, 'ERR_STREAM_ACK_TIMEOUT');
    await settle();
    expect(s.peer.reunion).toBe('attached');
    s.clock.advance(27_999);
    await settle();
    expect(s.events.filter(([name]) => name === 'reunion-failure')).toEqual([]);
    s.clock.advance(1);
    await settle();
    expect(s.events.filter(([name]) => name === 'reunion-failure').map(([, e]) => e)).toEqual([
      { reason: 'timeout', parent: ROOT },
    ]);
  });

  it('once the Join is acknowledged, only unanswered hellos can time the peer out', async () => {
    const s = setup();
    await attach(s, P1);
    const answerHellos = (): number => {
      const hellos = s.transport.take('reunion-hello', P1);
      for (const _ of hellos)
        s.transport.deliver({ kind: 'reunion-hello-back', source: addr(P1), path: [addr(SELF)] });
      return hellos.length;
    };
    expect(answerHellos()).toBe(1);
    // Twice the peer timeout: the deadline armed with the Join must be gone.
    for (let i = 0; i < 20; i++) {
      s.clock.advance(4_000);
      await settle(); // the parent acknowledges each hello
      expect(answerHellos()).toBe(1);
    }
    expect(s.peer.reunion).toBe('attached');
  });

  it('in reunion failure, handles nothing but an Advertise response', async () => {
    const s = setup();
    await attach(s, P1);
    s.transport.deliver({ kind: 'join', source: addr(P2) });
    s.clock.advance(38_000);
    await settle();
    s.transport.sent.length = 0;
    s.transport.deliver({ kind: 'message', source: addr(P2), text: 'lost' });
    s.transport.deliver({ kind: 'join', source: addr('127.0.0.1:7000') });
    s.transport.deliver({ kind: 'reunion-hello', source: addr(P2), path: [addr(P2)] });
    expect(s.peer.counters.dropped['reunion-failure']).toBe(3);
    expect(s.transport.sent).toEqual([]);
    expect(s.events.some(([name]) => name === 'message')).toBe(false);
    s.transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(ROOT) });
    await settle();
    expect(s.peer.reunion).toBe('attached');
    expect(s.peer.parent).toBe(ROOT);
  });

  it('enters reunion failure at once when the parent becomes unreachable', async () => {
    const s = setup();
    await attach(s, P1);
    s.transport.take('advertise-request');
    s.transport.fail(P1);
    await settle();
    expect(s.peer.reunion).toBe('failure');
    expect(s.peer.parent).toBeNull();
    expect(s.transport.take('advertise-request', ROOT)).toHaveLength(1);
  });

  it('rides out a root restart: retries its hello until the root is back, fails only after the peer timeout', async () => {
    const s = setup();
    await attach(s, ROOT);
    s.transport.deliver({ kind: 'reunion-hello-back', source: addr(ROOT), path: [addr(SELF)] });
    s.clock.advance(4_000); // a hello goes out, and the root stops before answering it
    s.transport.take('reunion-hello');
    s.transport.fail(ROOT, 'ERR_STREAM_CLOSED');
    s.transport.down.add(ROOT); // refused while it is down
    s.clock.advance(250);
    await settle();
    expect(s.peer.reunion).toBe('attached');
    s.transport.down.delete(ROOT); // back on its store
    s.clock.advance(500);
    await settle();
    expect(s.transport.take('reunion-hello', ROOT).length).toBeGreaterThanOrEqual(1);
    s.transport.deliver({ kind: 'reunion-hello-back', source: addr(ROOT), path: [addr(SELF)] });
    s.clock.advance(38_000);
    await settle();
    expect(s.peer.reunion).toBe('attached');
    expect(s.events.filter(([name]) => name === 'reunion-failure')).toEqual([]);
  });

  it('asks the root again once the peer timeout is over, and keeps its place while it cannot', async () => {
    const s = setup();
    await attach(s, ROOT);
    s.transport.deliver({ kind: 'reunion-hello-back', source: addr(ROOT), path: [addr(SELF)] });
    s.clock.advance(4_000);
    s.transport.fail(ROOT, 'ERR_STREAM_CLOSED');
    s.transport.down.add(ROOT);
    s.clock.advance(37_999);
    await settle();
    expect(s.peer.reunion).toBe('attached');
    expect(s.events.filter(([name]) => name === 'reunion-failure')).toEqual([]);
    s.clock.advance(1);
    await settle();
    // The Advertise is refused: the root is away, so the peer is back under it, resending hellos.
    expect(s.events.find(([name]) => name === 'reunion-failure')?.[1]).toEqual({
      reason: 'timeout',
      parent: ROOT,
    });
    expect(s.peer.reunion).toBe('attached');
    expect(s.peer.parent).toBe(ROOT);
    expect(s.peer.status().helloOutstanding).toBe(true);
  });

  it('keeps re-advertising until the root answers', async () => {
    const s = setup();
    await attach(s, P1);
    s.transport.fail(P1);
    await settle();
    s.transport.take('advertise-request');
    s.clock.advance(5_000); // request timeout
    await settle();
    s.clock.advance(250); // backoff
    await settle();
    expect(s.transport.take('advertise-request', ROOT)).toHaveLength(1);
  });
});
