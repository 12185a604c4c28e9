import type { IdentifiedMessagePacket } from '@p2p/codec';
import { describe, expect, it } from 'vitest';
import { ManualClock, Peer } from '../../src/index.js';
import { addr, FakeTransport, placeUnder, settle } from '../fake-transport.js';

const ROOT = '127.0.0.1:5353';
const SELF = '127.0.0.1:6501';
const PARENT = '127.0.0.1:6601';
const CHILD = '127.0.0.1:6701';
const ORIGIN = '127.0.0.1:7001';

/** A peer under PARENT with one child (version 1: the fake transport never negotiates). */
async function peerWithChild(lossless: boolean | { gapTimeout: number } = true) {
  const clock = new ManualClock();
  const transport = new FakeTransport(SELF);
  const peer = new Peer({ transport, root: ROOT, clock, timings: 'fast', lossless });
  await placeUnder(peer, transport, ROOT, PARENT);
  transport.deliver({ kind: 'join', source: addr(CHILD) });
  await settle();
  transport.sent.length = 0;
  const messages: Array<{ text: string; from: string; origin: string | null }> = [];
  peer.on('message', (m) => messages.push(m));
  return { clock, transport, peer, messages };
}

function identified(seq: number): IdentifiedMessagePacket {
  return {
    kind: 'identified-message',
    source: addr(PARENT),
    author: 'origin',
    start: seq === 1,
    origin: addr(ORIGIN),
    epoch: 1_764_320_000_000,
    seq,
    text: `${ORIGIN}#${seq}`,
  };
}

describe('Identified Messages through the core', () => {
  it('out of order: forwarded at once, delivered in the origin order with the origin', async () => {
    const { transport, peer, messages } = await peerWithChild();
    for (const seq of [2, 1, 3]) transport.deliver(identified(seq));
    await settle();
    expect(messages).toEqual(
      [1, 2, 3].map((seq) => ({ text: `${ORIGIN}#${seq}`, from: PARENT, origin: ORIGIN })),
    );
    // The child's edge is version 1: plain Messages, in the order they came.
    const forwarded = transport.take('message', CHILD).map((s) => s.packet);
    expect(forwarded.map((p) => (p.kind === 'message' ? p.text : p.kind))).toEqual(
      [2, 1, 3].map((seq) => `${ORIGIN}#${seq}`),
    );
    expect(peer.counters.messagesDelivered).toBe(3);
  });

  it('a gap is skipped at the gap timeout and counted; the missing one arriving late is a duplicate', async () => {
    // A gap timeout shorter than the peer timeout: the peer stays attached meanwhile.
    const { clock, transport, peer, messages } = await peerWithChild({ gapTimeout: 1_000 });
    transport.deliver(identified(1));
    transport.deliver(identified(3));
    await settle();
    expect(messages.map((m) => m.text)).toEqual([`${ORIGIN}#1`]);
    clock.advance(999);
    expect(messages).toHaveLength(1);
    clock.advance(1);
    expect(messages.map((m) => m.text)).toEqual([`${ORIGIN}#1`, `${ORIGIN}#3`]);
    expect(peer.losslessStats?.skipped).toBe(1);
    transport.deliver(identified(2));
    await settle();
    expect(messages).toHaveLength(2);
    expect(peer.counters.dropped.duplicate).toBe(1);
    expect(peer.losslessStats?.duplicates).toBe(1);
  });

  it('with the extension off, an Identified Message is dropped (extension-off) and a plain one flows as in version 1', async () => {
    const { transport, peer, messages } = await peerWithChild(false);
    transport.deliver(identified(1));
    transport.deliver({ kind: 'message', source: addr(PARENT), text: 'plain' });
    await settle();
    expect(peer.counters.dropped['extension-off']).toBe(1);
    expect(messages).toEqual([{ text: 'plain', from: PARENT, origin: null }]);
    expect(transport.take('identified-message')).toEqual([]);
    expect(peer.losslessStats).toBeNull();
  });
});
