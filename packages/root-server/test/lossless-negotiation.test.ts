import type { NodeCounters, Peer } from '@p2p/peer';
import { afterEach, describe, expect, it } from 'vitest';
import type { RootServer } from '../src/index.js';
import { LosslessNetwork, type Node } from './lossless-network.js';

let network: LosslessNetwork;
afterEach(async () => {
  await network.close();
});

/** Root, two peers under it, a third under the first: resolves once all three joined. */
async function tree(
  root: RootServer,
  options: Array<Parameters<LosslessNetwork['startPeer']>[1]> = [],
): Promise<[Peer, Peer, Peer]> {
  const peers: Peer[] = [];
  for (let i = 0; i < 3; i++) peers.push(await network.startPeer(root, options[i] ?? {}));
  const byAddress = new Map<string, Node>([
    [root.address, root.node],
    ...peers.map((p) => [p.address, p] as const),
  ]);
  await network.joined(peers, (p) => byAddress.get(p.parent ?? ''));
  return peers as [Peer, Peer, Peer];
}

/** Packets of the extension (types 7 to 9) a node received on its usual connections. */
function extensionPacketsIn(counters: NodeCounters): number {
  const { packetsIn } = counters;
  return packetsIn['identified-message'] + packetsIn.digest + packetsIn['capabilities-answer'];
}

describe('lossless negotiation between two of our nodes', () => {
  it('every edge becomes lossless on both sides, and a Message carries its origin', async () => {
    network = new LosslessNetwork();
    const root = await network.startRoot();
    const [a, b, c] = await tree(root);
    expect(c.parent).toBe(a.address);
    expect(root.node.losslessStats?.losslessEdges.sort()).toEqual([a.address, b.address].sort());
    expect(a.losslessStats?.losslessEdges.sort()).toEqual([root.address, c.address].sort());
    expect(b.losslessStats?.losslessEdges).toEqual([root.address]);
    expect(c.losslessStats?.losslessEdges).toEqual([a.address]);
    // Each peer offered once, on a connection of its own.
    expect(root.node.counters.packetsIn['capabilities-offer']).toBe(2);
    expect(a.counters.packetsIn['capabilities-offer']).toBe(1);

    await c.broadcast(`${c.address}#1`);
    await network.allDelivered([root.node, a, b], [c.address], 1, 'the Message everywhere');
    for (const node of [root.node, a, b]) {
      expect(network.delivered.get(node.address)).toEqual([
        { text: `${c.address}#1`, origin: c.address },
      ]);
    }
    expect(b.counters.packetsIn['identified-message']).toBe(1);
    expect(b.counters.packetsIn.message).toBe(0);
  });

  it('a peer with the extension off under one with it: plain Messages only, no origin, nothing of types 7 to 9 for it', async () => {
    network = new LosslessNetwork();
    const root = await network.startRoot();
    const [a, b, off] = await tree(root, [{}, {}, { lossless: false }]);
    expect(off.parent).toBe(a.address);
    expect(off.losslessStats).toBeNull();
    expect(a.losslessStats?.losslessEdges).toEqual([root.address]);
    // The off node offered nothing: the root got the offers of a and b only, a none.
    expect(a.counters.packetsIn['capabilities-offer']).toBe(0);

    await off.broadcast(`${off.address}#1`);
    await b.broadcast(`${b.address}#1`);
    await network.allDelivered([root.node, a, b], [off.address], 1, "the off node's Message");
    await network.allDelivered([off], [b.address], 1, "b's Message at the off node");
    // Beyond the off node a gateway gave its Message an identifier: delivered once, origin unknown.
    for (const node of [root.node, a, b])
      expect(
        network.delivered.get(node.address)?.filter((m) => m.text === `${off.address}#1`),
      ).toEqual([{ text: `${off.address}#1`, origin: null }]);
    expect(network.delivered.get(off.address)).toEqual([{ text: `${b.address}#1`, origin: null }]);
    expect(extensionPacketsIn(off.counters)).toBe(0);
    expect(off.counters.packetsIn['capabilities-offer']).toBe(0);
    expect(off.counters.dropped['extension-off']).toBe(0);
    expect(a.counters.packetsOut['identified-message']).toBeGreaterThan(0); // towards the root
  });

  it('peers with the extension under a root without it: version 1 everywhere, the offers acknowledged and dropped', async () => {
    network = new LosslessNetwork();
    const root = await network.startRoot({ lossless: false });
    const [a, b, c] = await tree(root);
    expect(root.node.losslessStats).toBeNull();
    // Every edge to the root is version 1; a and c, both ours, are lossless between them.
    expect(a.losslessStats?.losslessEdges).toEqual([c.address]);
    expect(b.losslessStats?.losslessEdges).toEqual([]);
    expect(root.node.counters.dropped['extension-off']).toBe(2); // the two offers
    await c.broadcast(`${c.address}#1`);
    await network.allDelivered([root.node, a, b], [c.address], 1, "c's Message");
    expect(network.delivered.get(root.address)).toEqual([{ text: `${c.address}#1`, origin: null }]);
    expect(network.delivered.get(a.address)).toEqual([
      { text: `${c.address}#1`, origin: c.address },
    ]);
    expect(network.delivered.get(b.address)).toEqual([{ text: `${c.address}#1`, origin: null }]);
    expect(extensionPacketsIn(root.node.counters)).toBe(0);
    expect(root.node.counters.dropped['reunion-failure']).toBe(0);
    for (const peer of [a, b, c]) expect(peer.reunion).toBe('attached');
  });

  it('a node with the extension off in the middle: Messages cross it as plain and arrive without origin beyond it', async () => {
    network = new LosslessNetwork();
    const root = await network.startRoot();
    const off = await network.startPeer(root, { lossless: false });
    const b = await network.startPeer(root);
    const c = await network.startPeer(root);
    const d = await network.startPeer(root);
    const byAddress = new Map<string, Node>([
      [root.address, root.node],
      ...[off, b, c, d].map((p) => [p.address, p] as const),
    ]);
    await network.joined([off, b, c, d], (p) => byAddress.get(p.parent ?? ''));
    expect([c.parent, d.parent]).toEqual([off.address, off.address]);
    await c.broadcast(`${c.address}#1`);
    await b.broadcast(`${b.address}#1`);
    await network.allDelivered([root.node, off, b, d], [c.address], 1, "c's Message");
    await network.allDelivered([root.node, off, c, d], [b.address], 1, "b's Message");
    // Each crossed the off node as plain: a gateway beyond it gave it an identifier of its own.
    for (const node of [root.node, off, b, d])
      expect(network.delivered.get(node.address)).toContainEqual({
        text: `${c.address}#1`,
        origin: null,
      });
    expect(network.delivered.get(root.address)).toContainEqual({
      text: `${b.address}#1`,
      origin: b.address,
    });
    for (const node of [c, d])
      expect(network.delivered.get(node.address)).toContainEqual({
        text: `${b.address}#1`,
        origin: null,
      });
    expect(root.node.losslessStats?.gatewayed).toBe(1);
    expect(extensionPacketsIn(off.counters)).toBe(0);
    expect(off.counters.packetsIn['capabilities-offer']).toBe(2); // c's and d's probes, acknowledged
    expect(off.counters.dropped['extension-off']).toBe(2);
  });
});
