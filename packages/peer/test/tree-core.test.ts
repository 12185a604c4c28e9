import { ResourcedFrame } from '@p2p/codec';
import { describe, expect, it } from 'vitest';
import { ManualClock, Peer } from '../src/index.js';
import { addr, FakeTransport, placeUnder, settle } from './fake-transport.js';

const ROOT = '127.0.0.1:5353';
const SELF = '127.0.0.1:6501';
const PARENT = '127.0.0.1:6601';
const CHILD_A = '127.0.0.1:6701';
const CHILD_B = '127.0.0.1:6702';
const STRANGER = '127.0.0.1:9999';

/** A peer attached to PARENT with two children. */
async function interiorNode() {
  const clock = new ManualClock();
  const transport = new FakeTransport(SELF);
  const peer = new Peer({ transport, root: ROOT, clock });
  await placeUnder(peer, transport, ROOT, PARENT);
  transport.deliver({ kind: 'join', source: addr(CHILD_A) });
  transport.deliver({ kind: 'join', source: addr(CHILD_B) });
  transport.sent.length = 0;
  const messages: Array<{ text: string; from: string }> = [];
  peer.on('message', (m) => messages.push(m));
  return { clock, transport, peer, messages };
}

describe('neighbours and Join (5.4)', () => {
  it('a Join adds the sender as a child', async () => {
    const { peer } = await interiorNode();
    expect(peer.children).toEqual([CHILD_A, CHILD_B]);
    expect(peer.neighbours).toEqual([PARENT, CHILD_A, CHILD_B]);
  });

  it('an unreachable child is removed', async () => {
    const { peer, transport } = await interiorNode();
    transport.fail(CHILD_A);
    expect(peer.children).toEqual([CHILD_B]);
    expect(peer.reunion).toBe('attached');
  });

  it('a Join can be refused by configuration', async () => {
    const transport = new FakeTransport(SELF);
    const peer = new Peer({
      transport,
      root: ROOT,
      clock: new ManualClock(),
      acceptJoin: () => false,
    });
    transport.deliver({ kind: 'join', source: addr(CHILD_A) });
    expect(peer.children).toEqual([]);
    expect(peer.counters.dropped['join-refused']).toBe(1);
  });
});

describe('Message flooding (5.5)', () => {
  it('delivers a Message from the parent and forwards it to every child, as the source', async () => {
    const { peer, transport, messages } = await interiorNode();
    transport.deliver({ kind: 'message', source: addr(PARENT), text: 'hello tree' });
    await settle();
    expect(messages).toEqual([{ text: 'hello tree', from: PARENT, origin: null }]);
    const forwarded = transport.take('message');
    expect(forwarded.map((f) => f.to).sort()).toEqual([CHILD_A, CHILD_B]);
    expect(forwarded.every((f) => f.packet.source.port === 6501)).toBe(true);
    expect(peer.counters.messagesForwarded).toBe(2);
  });

  it('forwards the frame as it came, re-sourced as this node, in one flood to every other neighbour', async () => {
    const { transport } = await interiorNode();
    const received = transport.deliver({ kind: 'message', source: addr(PARENT), text: 'as is' });
    await settle();
    expect(transport.floods).toHaveLength(1);
    const { targets, frame } = transport.floods[0] as (typeof transport.floods)[number];
    expect(targets).toEqual([CHILD_A, CHILD_B]);
    // The received frame itself, under a new header: its body is never decoded nor re-encoded.
    expect(frame).toBeInstanceOf(ResourcedFrame);
    expect((frame as ResourcedFrame).frame).toBe(received);
    expect((frame as ResourcedFrame).source).toEqual(addr(SELF));
  });

  it('originates a broadcast as one frame in one flood', async () => {
    const { peer, transport } = await interiorNode();
    await peer.broadcast('mine');
    expect(transport.floods.map((f) => f.targets)).toEqual([[PARENT, CHILD_A, CHILD_B]]);
  });

  it('never sends a Message back to the neighbour it came from', async () => {
    const { transport } = await interiorNode();
    transport.deliver({ kind: 'message', source: addr(CHILD_A), text: 'up' });
    await settle();
    expect(
      transport
        .take('message')
        .map((f) => f.to)
        .sort(),
    ).toEqual([PARENT, CHILD_B]);
  });

  it('drops a Message from a node that is not a neighbour', async () => {
    const { peer, transport, messages } = await interiorNode();
    const dropped: unknown[] = [];
    peer.on('dropped', (d) => dropped.push(d));
    transport.deliver({ kind: 'message', source: addr(STRANGER), text: 'spam' });
    await settle();
    expect(messages).toEqual([]);
    expect(transport.take('message')).toEqual([]);
    expect(dropped).toEqual([{ reason: 'not-a-neighbour', kind: 'message', from: STRANGER }]);
  });

  it('a forward that fails is counted and the other neighbours still get the Message', async () => {
    const { peer, transport, messages } = await interiorNode();
    transport.down.add(CHILD_A);
    transport.deliver({ kind: 'message', source: addr(PARENT), text: 'onwards' });
    await settle();
    expect(messages).toEqual([{ text: 'onwards', from: PARENT, origin: null }]);
    expect(transport.take('message').map((f) => f.to)).toEqual([CHILD_B]);
    expect(peer.counters.sendFailures).toBe(1);
    expect(peer.children).toEqual([CHILD_A, CHILD_B]);
  });

  it('broadcast sends to every neighbour and reports failures without throwing', async () => {
    const { peer, transport } = await interiorNode();
    transport.down.add(CHILD_B);
    await expect(peer.broadcast('mine')).resolves.toEqual({ delivered: 2, failed: [CHILD_B] });
    expect(
      transport
        .take('message')
        .map((f) => f.to)
        .sort(),
    ).toEqual([PARENT, CHILD_A]);
  });
});

describe('heartbeats are never stuck behind Messages', () => {
  it('sends Reunion, Join and control packets as urgent and Messages in order', async () => {
    const { transport, peer } = await interiorNode();
    transport.deliver({ kind: 'message', source: addr(PARENT), text: 'bulk' });
    transport.deliver({ kind: 'reunion-hello', source: addr(CHILD_A), path: [addr(CHILD_A)] });
    transport.deliver({
      kind: 'reunion-hello-back',
      source: addr(PARENT),
      path: [addr(SELF), addr(CHILD_B)],
    });
    await settle();
    expect(transport.take('message').every((s) => s.urgent === undefined)).toBe(true);
    expect(transport.take('reunion-hello')[0]?.urgent).toBe(true);
    expect(transport.take('reunion-hello-back')[0]?.urgent).toBe(true);
    expect(peer.counters.dropped['not-a-neighbour']).toBe(0);
  });
});

describe('Reunion relaying (5.6)', () => {
  it('appends itself to a child hello and forwards it to the parent', async () => {
    const { transport, peer } = await interiorNode();
    transport.deliver({
      kind: 'reunion-hello',
      source: addr(CHILD_A),
      path: [addr('127.0.0.1:6801'), addr(CHILD_A)],
    });
    await settle();
    expect(transport.take('reunion-hello', PARENT)[0]?.packet).toEqual({
      kind: 'reunion-hello',
      source: addr(SELF),
      path: [addr('127.0.0.1:6801'), addr(CHILD_A), addr(SELF)],
    });
    expect(peer.counters.hellosRelayed).toBe(1);
  });

  it('strips itself from a hello back and forwards the rest to the next entry', async () => {
    const { transport } = await interiorNode();
    transport.deliver({
      kind: 'reunion-hello-back',
      source: addr(PARENT),
      path: [addr(SELF), addr(CHILD_A), addr('127.0.0.1:6801')],
    });
    await settle();
    expect(transport.take('reunion-hello-back', CHILD_A)[0]?.packet).toEqual({
      kind: 'reunion-hello-back',
      source: addr(SELF),
      path: [addr(CHILD_A), addr('127.0.0.1:6801')],
    });
  });

  it('drops a hello back addressed to someone else', async () => {
    const { transport, peer } = await interiorNode();
    transport.deliver({
      kind: 'reunion-hello-back',
      source: addr(PARENT),
      path: [addr(CHILD_A), addr(SELF)],
    });
    await settle();
    expect(transport.sent).toEqual([]);
    expect(peer.counters.dropped['not-addressed-to-us']).toBe(1);
  });

  it('drops hellos from non-children, with forged paths, and with loops', async () => {
    const { transport, peer } = await interiorNode();
    transport.deliver({ kind: 'reunion-hello', source: addr(STRANGER), path: [addr(STRANGER)] });
    transport.deliver({ kind: 'reunion-hello', source: addr(CHILD_A), path: [addr(CHILD_B)] });
    transport.deliver({
      kind: 'reunion-hello',
      source: addr(CHILD_A),
      path: [addr(SELF), addr(CHILD_A)],
    });
    await settle();
    expect(transport.sent).toEqual([]);
    expect(peer.counters.dropped).toMatchObject({
      'not-a-neighbour': 1,
      'forged-path': 1,
      'path-loop': 1,
    });
  });

  it('drops a hello that cannot take another entry', async () => {
    const { transport, peer } = await interiorNode();
    const path = Array.from({ length: 98 }, (_, i) => addr(`10.0.0.1:${1000 + i}`));
    transport.deliver({
      kind: 'reunion-hello',
      source: addr(CHILD_A),
      path: [...path, addr(CHILD_A)],
    });
    await settle();
    expect(transport.sent).toEqual([]);
    expect(peer.counters.dropped['path-too-long']).toBe(1);
  });
});
