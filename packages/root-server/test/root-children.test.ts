import { formatAddress } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { bareRoot, closers, dropsOf, rawNode, receivedKind } from './bare-root.js';

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

type Raw = Awaited<ReturnType<typeof rawNode>>;
type Root = Awaited<ReturnType<typeof bareRoot>>;

/** Registers `raw` and has it advertise; resolves once the root answered both. */
async function place(root: Root, raw: Raw): Promise<void> {
  await raw.node.send(root.address, {
    kind: 'register-request',
    source: raw.address,
    address: raw.address,
  });
  await receivedKind(raw, 'register-response');
  raw.received.length = 0;
  await raw.node.send(root.address, { kind: 'advertise-request', source: raw.address });
  await receivedKind(raw, 'advertise-response');
}

describe("the root's children are the nodes its graph places under it", () => {
  it('a node placed under the root is its child at once, and its Join is taken', async () => {
    const root = await bareRoot();
    const added: string[] = [];
    root.on('neighbour-added', ({ neighbour, role }) => added.push(`${neighbour} ${role}`));
    const node = await rawNode();
    const key = formatAddress(node.address);
    await place(root, node);
    expect(root.children).toEqual([key]);
    expect(added).toEqual([`${key} child`]);
    // Acknowledged once the root has handled it (it answers ACK and handles the frame at once).
    await node.node.send(root.address, { kind: 'join', source: node.address });
    expect(root.counters.joinsAccepted).toBe(1);
    expect(root.counters.dropped['join-refused']).toBe(0);
    expect(root.children).toEqual([key]);
    expect(added).toHaveLength(1);
  });

  it('refuses a Join from a node it did not place under itself, by default', async () => {
    const root = await bareRoot();
    const intruder = await rawNode();
    await intruder.node.send(root.address, { kind: 'join', source: intruder.address });
    await dropsOf(root, 'join-refused', 1);
    expect(root.children).toEqual([]);
    expect(root.counters.joinsAccepted).toBe(0);
  });

  it('a child whose connection fails is turned off and stops being its child', async () => {
    const root = await bareRoot();
    const [a, b] = [await rawNode(), await rawNode()];
    for (const node of [a, b]) await place(root, node);
    const [keyA, keyB] = [formatAddress(a.address), formatAddress(b.address)];
    expect(root.children).toEqual([keyA, keyB]);
    const removed: string[] = [];
    root.on('neighbour-removed', ({ neighbour, reason }) => removed.push(`${neighbour} ${reason}`));
    const turnedOff = new Promise((resolve) => root.once('turned-off', resolve));
    await a.node.close();
    void root.broadcast('anyone there?');
    expect(await turnedOff).toEqual({ addresses: [keyA], cause: 'unreachable' });
    expect(removed).toEqual([`${keyA} unreachable`]);
    expect(root.children).toEqual([keyB]);
  });

  it('keeps a child that sends Leave: only its placement changes it', async () => {
    const root = await bareRoot();
    const node = await rawNode();
    await place(root, node);
    await node.node.send(root.address, { kind: 'leave', source: node.address });
    await dropsOf(root, 'unexpected-kind', 1);
    expect(root.children).toEqual([formatAddress(node.address)]);
  });
});
