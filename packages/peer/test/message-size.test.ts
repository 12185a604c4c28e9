import { describe, expect, it } from 'vitest';
import {
  LOCK_STEP_MAX_MESSAGE_BYTES,
  ManualClock,
  Peer,
  type PeerError,
  type PeerInit,
} from '../src/index.js';
import { addr, FakeTransport, placeUnder, rejectionOf, settle } from './fake-transport.js';

const ROOT = '127.0.0.1:5353';
const SELF = '127.0.0.1:6501';
const PARENT = '127.0.0.1:6601';
const CHILD_A = '127.0.0.1:6701';
const CHILD_B = '127.0.0.1:6702';

/** A peer attached to PARENT with two children, nothing sent yet. */
async function interiorNode(options: Partial<PeerInit> = {}) {
  const transport = new FakeTransport(SELF);
  const peer = new Peer({ transport, root: ROOT, clock: new ManualClock(), ...options });
  await placeUnder(peer, transport, ROOT, PARENT);
  transport.deliver({ kind: 'join', source: addr(CHILD_A) });
  transport.deliver({ kind: 'join', source: addr(CHILD_B) });
  await settle();
  transport.sent.length = 0;
  return { transport, peer };
}

describe('a message too large for the network is refused where it is typed', () => {
  it('a 70,000-character broadcast is refused with the limit in bytes, and the peer keeps its parent', async () => {
    const { transport, peer } = await interiorNode();
    const error = await rejectionOf<PeerError>(peer.broadcast('x'.repeat(70_000)));
    expect(error.code).toBe('ERR_PEER_MESSAGE_TOO_LARGE');
    expect(error.message).toBe(
      'the message is 70000 bytes (UTF-8); the network takes at most 2020',
    );
    expect(transport.take('message')).toEqual([]);
    expect(peer.parent).toBe(PARENT);
    expect(peer.reunion).toBe('attached');
    expect(peer.counters.messagesOriginated).toBe(0);
  });

  it('by default the limit is what fits a 2,048-byte frame in either framing: 2,020 bytes, counted in UTF-8', async () => {
    const { transport, peer } = await interiorNode();
    transport.framings.set(CHILD_B, 'text');
    expect(peer.maxMessageBytes).toBe(LOCK_STEP_MAX_MESSAGE_BYTES);
    expect(LOCK_STEP_MAX_MESSAGE_BYTES).toBe(2_020);
    expect(await peer.broadcast('x'.repeat(2_020))).toEqual({ delivered: 3, failed: [] });
    // The text-framed neighbour's frame: a 28-byte header and 2,020 bytes, 2,048 in all.
    expect(transport.take('message')).toHaveLength(3);
    // 1,011 characters, 2,022 bytes.
    expect((await rejectionOf<PeerError>(peer.broadcast('é'.repeat(1_011)))).code).toBe(
      'ERR_PEER_MESSAGE_TOO_LARGE',
    );
  });

  it('with a send window (every node parses by length) the limit is 65,536 bytes', async () => {
    const { transport, peer } = await interiorNode({ window: 4 });
    expect(peer.maxMessageBytes).toBe(65_536);
    expect(await peer.broadcast('x'.repeat(65_536))).toEqual({ delivered: 3, failed: [] });
    expect(transport.take('message')).toHaveLength(3);
    expect((await rejectionOf<PeerError>(peer.broadcast('x'.repeat(65_537)))).code).toBe(
      'ERR_PEER_MESSAGE_TOO_LARGE',
    );
  });

  it('maxMessageBytes sets the limit', async () => {
    const { peer } = await interiorNode({ maxMessageBytes: 10 });
    expect((await rejectionOf<PeerError>(peer.broadcast('eleven char'))).message).toContain(
      'at most 10',
    );
  });
});

describe('a node never sends a neighbour a frame it is known not to take', () => {
  it('in lock-step no neighbour, whatever its framing, is sent a frame over 2,048 bytes', async () => {
    const { transport, peer } = await interiorNode();
    transport.framings.set(CHILD_B, 'text'); // it may read one recv(2048) per packet too
    const dropped: unknown[] = [];
    peer.on('dropped', (event) => dropped.push(event));
    // 2,028 bytes: a 2,048-byte binary frame, a 2,056-byte text frame.
    transport.deliver({ kind: 'message', source: addr(CHILD_A), text: 'y'.repeat(2_028) });
    await settle();
    expect(transport.take('message').map((s) => s.to)).toEqual([PARENT]);
    // 2,020 bytes: a 2,048-byte text frame.
    transport.deliver({ kind: 'message', source: addr(CHILD_A), text: 'y'.repeat(2_020) });
    await settle();
    expect(transport.take('message').map((s) => s.to)).toEqual([PARENT, CHILD_B]);
    expect(peer.counters.dropped['too-large-for-neighbour']).toBe(1);
    expect(dropped).toEqual([
      { reason: 'too-large-for-neighbour', kind: 'message', from: CHILD_A },
    ]);
    expect(peer.parent).toBe(PARENT);
  });

  it('with a send window every neighbour, in either framing, is sent up to 65,536 bytes', async () => {
    const { transport } = await interiorNode({ window: 4 });
    transport.framings.set(CHILD_B, 'text');
    transport.deliver({ kind: 'message', source: addr(CHILD_A), text: 'y'.repeat(65_536) });
    await settle();
    expect(transport.take('message').map((s) => s.to)).toEqual([PARENT, CHILD_B]);
  });

  it('an explicit maxMessageBytes is the limit toward every neighbour', async () => {
    const { transport, peer } = await interiorNode({ maxMessageBytes: 5_000 });
    expect(await peer.broadcast('z'.repeat(3_000))).toEqual({ delivered: 3, failed: [] });
    transport.sent.length = 0;
    transport.deliver({ kind: 'message', source: addr(CHILD_A), text: 'w'.repeat(4_000) });
    await settle();
    expect(transport.take('message').map((s) => s.to)).toEqual([PARENT, CHILD_B]);
  });
});

describe('maxMessageBytes is checked', () => {
  it('a negative or fractional limit is refused as an invalid option', () => {
    for (const maxMessageBytes of [-1, 1.5]) {
      expect(
        () => new Peer({ transport: new FakeTransport(SELF), root: ROOT, maxMessageBytes }),
      ).toThrow(expect.objectContaining({ code: 'ERR_PEER_INVALID_OPTIONS' }));
    }
  });
});
