import { describe, expect, it } from 'vitest';
import { ManualClock, Peer, type PeerEvents } from '../src/index.js';
import { addr, FakeTransport, settle } from './fake-transport.js';

const ROOT = '127.0.0.1:5353';
const SELF = '127.0.0.1:6501';
const P1 = '127.0.0.1:6601';
const CHILD = '127.0.0.1:6701';
/** Reference timings: request timeout 5 s, retries from 250 ms doubling up to 10 s. */
const HELLO = 4_000;
const PEER_TIMEOUT = 38_000;

/** A peer under P1 with a child, whose hello P1 acknowledges but nobody answers. */
async function underP1WithRootGone() {
  const clock = new ManualClock();
  const transport = new FakeTransport(SELF);
  const peer = new Peer({
    transport,
    root: ROOT,
    clock,
    timings: { helloInterval: HELLO, peerTimeout: PEER_TIMEOUT },
  });
  const events: Array<[keyof PeerEvents, unknown]> = [];
  for (const name of ['reunion-failure', 'root-away', 'message', 'parent'] as const)
    peer.on(name, (payload: unknown) => events.push([name, payload]));
  peer.begin();
  await settle();
  transport.deliver({ kind: 'register-response', source: addr(ROOT) });
  await settle();
  transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(P1) });
  await settle();
  transport.take('advertise-request');
  transport.deliver({ kind: 'join', source: addr(CHILD) });
  transport.deliver({ kind: 'reunion-hello-back', source: addr(P1), path: [addr(SELF)] });
  // The root's host is cut off: its hellos go unanswered, and so does the Advertise.
  await passes(clock, HELLO + PEER_TIMEOUT);
  const count = (name: keyof PeerEvents) => events.filter(([n]) => n === name).length;
  return { clock, transport, peer, events, count };
}

/** Moves the clock by `ms` a second at a time, letting acknowledgements through in between. */
async function passes(clock: ManualClock, ms: number) {
  for (let done = 0; done < ms; done += 1_000) {
    clock.advance(Math.min(1_000, ms - done));
    await settle();
  }
}

describe('a peer whose root does not answer (protocol.md 5.6.6)', () => {
  it('enters reunion failure, then takes its parent back when the Advertise goes unanswered', async () => {
    const s = await underP1WithRootGone();
    expect(s.peer.reunion).toBe('failure');
    expect(s.events.find(([n]) => n === 'reunion-failure')?.[1]).toEqual({
      reason: 'timeout',
      parent: P1,
    });
    expect(s.transport.take('advertise-request', ROOT)).toHaveLength(1);
    s.transport.take('join');
    s.transport.take('reunion-hello');
    await passes(s.clock, 5_000); // the request timeout
    expect(s.peer.reunion).toBe('attached');
    expect(s.peer.parent).toBe(P1);
    expect(s.events.find(([n]) => n === 'root-away')?.[1]).toEqual({ parent: P1 });
    // Joined again (P1 may have dropped a silent child), and its hello sent right behind.
    expect(s.transport.take('join', P1)).toHaveLength(1);
    expect(s.transport.take('reunion-hello', P1)).toHaveLength(1);
    // It floods on: a Message from its parent is delivered and passed to its child (which, silent
    // here all along, joins again first).
    s.transport.deliver({ kind: 'join', source: addr(CHILD) });
    s.transport.sent.length = 0;
    s.transport.deliver({ kind: 'message', source: addr(P1), text: 'root away' });
    expect(s.events.filter(([n]) => n === 'message')).toHaveLength(1);
    expect(s.transport.take('message', CHILD)).toHaveLength(1);
  });

  it('resends its hello every interval with no end, and is back in the tree when one is answered, asking the root no more', async () => {
    const s = await underP1WithRootGone();
    await passes(s.clock, 5_000);
    s.transport.take('reunion-hello');
    await passes(s.clock, 20 * HELLO);
    // Far past the peer timeout: no second failure, a hello each interval.
    expect(s.count('reunion-failure')).toBe(1);
    expect(s.peer.parent).toBe(P1);
    expect(s.transport.take('reunion-hello', P1).length).toBeGreaterThanOrEqual(19);
    expect(s.transport.take('advertise-request', ROOT).length).toBeGreaterThanOrEqual(1);
    // The root is back: the hello is answered through the same parent, and nothing is asked.
    s.transport.deliver({ kind: 'reunion-hello-back', source: addr(P1), path: [addr(SELF)] });
    await settle();
    expect(s.peer.joinedParent).toBe(P1);
    await passes(s.clock, 30_000); // past the longest backoff and a request timeout
    expect(s.transport.take('advertise-request')).toEqual([]);
    // And the peer timeout is back: a hello unanswered again ends in reunion failure.
    s.transport.take('reunion-hello');
    await passes(s.clock, HELLO + PEER_TIMEOUT);
    expect(s.count('reunion-failure')).toBe(2);
  });

  it('goes where the root says when the Advertise is answered after all', async () => {
    const s = await underP1WithRootGone();
    await passes(s.clock, 5_000);
    expect(s.peer.parent).toBe(P1);
    s.transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(ROOT) });
    await settle();
    expect(s.peer.parent).toBe(ROOT);
    expect(s.transport.take('leave', P1)).toHaveLength(1);
  });

  it('asks no more once an Advertise is answered, even one it had given up waiting for', async () => {
    const s = await underP1WithRootGone();
    await passes(s.clock, 5_000); // unanswered: back under P1, the next attempt after a backoff
    s.transport.take('advertise-request');
    // The root is back: the answer to that first attempt arrives (the same parent: kept).
    s.transport.deliver({ kind: 'advertise-response', source: addr(ROOT), parent: addr(P1) });
    await settle();
    s.transport.deliver({ kind: 'reunion-hello-back', source: addr(P1), path: [addr(SELF)] });
    await passes(s.clock, 30_000);
    // Asking again before a hello proved the parent would have the root move it.
    expect(s.transport.take('advertise-request')).toEqual([]);
    expect(s.peer.parent).toBe(P1);
  });

  it('does not take back a parent that failed: it stays in reunion failure, asking the root', async () => {
    const s = await underP1WithRootGone();
    await passes(s.clock, 5_000);
    s.transport.fail(P1); // the parent itself is gone now
    await settle();
    expect(s.count('reunion-failure')).toBe(2);
    s.transport.take('advertise-request');
    await passes(s.clock, 15_000);
    expect(s.peer.reunion).toBe('failure');
    expect(s.peer.parent).toBeNull();
    expect(s.count('root-away')).toBe(1);
    expect(s.transport.take('advertise-request', ROOT).length).toBeGreaterThanOrEqual(1);
  });
});
