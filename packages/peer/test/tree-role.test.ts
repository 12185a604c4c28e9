import { EventEmitter } from 'node:events';
import type { Packet } from '@p2p/codec';
import { describe, expect, it } from 'vitest';
import { TreeCore, type TreeNodeEvents, type TreeRole } from '../src/index.js';
import { addr, FakeTransport, settle } from './fake-transport.js';

const SELF = '127.0.0.1:6501';
const CHILD = '127.0.0.1:6701';

/** A bare core with `role`, one child joined, recording its events. */
function coreWith(role: TreeRole) {
  const transport = new FakeTransport(SELF);
  const events = new EventEmitter<TreeNodeEvents>();
  const dropped: string[] = [];
  events.on('dropped', ({ reason, kind }) => dropped.push(`${kind} ${reason}`));
  const core = new TreeCore({ transport, events, role });
  transport.deliver({ kind: 'join', source: addr(CHILD) });
  return { core, transport, events, dropped };
}

describe('the tree core calls its role where roles differ', () => {
  it("drops what the role's admit refuses, with the role's reason, before any rule", async () => {
    const { core, transport, dropped } = coreWith({
      admit: (packet) => (packet.kind === 'message' ? 'reunion-failure' : undefined),
    });
    transport.deliver({ kind: 'message', source: addr(CHILD), text: 'no' });
    await settle();
    expect(dropped).toEqual(['message reunion-failure']);
    expect(core.counters.messagesDelivered).toBe(0);
    expect(core.children).toEqual([CHILD]);
  });

  it('hands Register and Advertise packets to the role, and drops them without one', () => {
    const controls: string[] = [];
    const { transport } = coreWith({
      control: (packet, from) => controls.push(`${packet.kind} ${from}`),
    });
    transport.deliver({ kind: 'register-request', source: addr(CHILD), address: addr(CHILD) });
    expect(controls).toEqual([`register-request ${CHILD}`]);
    const bare = coreWith({});
    bare.transport.deliver({ kind: 'advertise-request', source: addr(CHILD) });
    expect(bare.dropped).toEqual(['advertise-request unexpected-kind']);
  });

  it('a top role answers hellos instead of relaying them', async () => {
    const answered: Packet[] = [];
    const { transport } = coreWith({ answerHello: (_path, packet) => answered.push(packet) });
    const hello: Packet = { kind: 'reunion-hello', source: addr(CHILD), path: [addr(CHILD)] };
    transport.deliver(hello);
    await settle();
    expect(answered).toEqual([hello]);
    expect(transport.take('reunion-hello')).toEqual([]);
  });

  it('tells the role of every packet it sends with a promise and whether it was acknowledged, not of flooded Messages', async () => {
    const sends: string[] = [];
    const { core, transport } = coreWith({
      sending: (to, packet, acknowledged) =>
        void acknowledged.then((ok) => sends.push(`${packet.kind} ${to} ${ok}`)),
    });
    transport.down.add(CHILD);
    expect(await core.send(CHILD, { kind: 'leave', source: addr(SELF) })).toBe(false);
    expect(await core.broadcast('hi')).toEqual({ delivered: 0, failed: [CHILD] });
    await settle();
    expect(sends).toEqual([`leave ${CHILD} false`]);
  });

  it('tells the role of an unreachable remote after dropping it as a child', () => {
    const lost: Array<[string, string[]]> = [];
    const { core, transport } = coreWith({
      unreachable: (remote) => lost.push([remote, core.children]),
    });
    transport.fail(CHILD);
    expect(lost).toEqual([[CHILD, []]]);
  });
});
