import { Peer } from '@p2p/peer';
import { until } from '@p2p/test-net';
import { afterEach, describe, expect, it } from 'vitest';
import { RootServer } from '../src/index.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function startRoot() {
  const root = await RootServer.start({
    listen: '127.0.0.1:0',
    http: '127.0.0.1:0',
    timings: 'fast',
  });
  closers.push(() => root.close());
  return root;
}

async function startPeers(root: RootServer, count: number): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (let i = 0; i < count; i++) {
    const peer = await Peer.start({ listen: '127.0.0.1:0', root: root.address, timings: 'fast' });
    closers.push(() => peer.close());
    peers.push(peer);
  }
  return peers;
}

/** Every peer has a parent that lists it as a child (its Join has landed). */
function settled(root: RootServer, peers: Peer[]): boolean {
  const byAddress = new Map<string, { children: string[] }>([
    [root.address, root.node],
    ...peers.map((p) => [p.address, p] as const),
  ]);
  return peers.every(
    (p) => p.parent !== null && byAddress.get(p.parent)?.children.includes(p.address) === true,
  );
}

async function formed(root: RootServer, peers: Peer[]) {
  await until(
    'every peer joined',
    () => settled(root, peers),
    [root, ...peers],
    ['neighbour-added', 'parent'],
    20_000,
  );
}

describe('a root and 15 peers in one process', () => {
  it('everyone attaches; the tree is binary and breadth-first; a Message from any node reaches every other once', async () => {
    const root = await startRoot();
    const peers = await startPeers(root, 15);
    await formed(root, peers);

    const topology = root.topology();
    expect(topology.nodes).toHaveLength(15);
    expect(topology.nodes.every((n) => n.alive)).toBe(true);
    const childCount = new Map<string, number>();
    for (const node of topology.nodes)
      childCount.set(node.parent ?? '', (childCount.get(node.parent ?? '') ?? 0) + 1);
    expect(Math.max(...childCount.values())).toBeLessThanOrEqual(2);
    // 15 peers under a root fill depths 1, 2 and 3 completely (2 + 4 + 8) and one node at depth 4.
    const depths = topology.nodes.map((n) => n.depth).sort();
    expect(depths).toEqual([1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3, 4]);
    // The root's view and the peers' own views agree.
    for (const peer of peers)
      expect(topology.nodes.find((n) => n.address === peer.address)?.parent).toBe(peer.parent);

    const nodes = [root.node, ...peers];
    for (const sender of [root.node, peers[14] as Peer, peers[3] as Peer]) {
      const got = new Map(nodes.map((n) => [n.address, 0]));
      const listeners = nodes.map((n) => {
        const listener = () => got.set(n.address, (got.get(n.address) ?? 0) + 1);
        n.on('message', listener);
        return () => n.off('message', listener);
      });
      await sender.broadcast(`from ${sender.address}`);
      await until(
        'every node delivered the message',
        () => nodes.every((n) => n === sender || got.get(n.address) === 1),
        nodes,
        ['message'],
      );
      for (const off of listeners) off();
      expect(
        [...got].filter(([address]) => address !== sender.address).every(([, n]) => n === 1),
      ).toBe(true);
      expect(got.get(sender.address)).toBe(0);
    }
  });

  it('serves health, metrics and topology over HTTP', async () => {
    const root = await startRoot();
    const peers = await startPeers(root, 3);
    await formed(root, peers);
    const base = `http://${root.httpAddress}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const topology = (await (await fetch(`${base}/api/topology`)).json()) as {
      root: string;
      nodes: Array<{ lastSeen: string }>;
    };
    expect(topology.root).toBe(root.address);
    expect(topology.nodes).toHaveLength(3);
    expect(Number.isNaN(Date.parse(topology.nodes[0]?.lastSeen ?? ''))).toBe(false);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^p2p_registered_nodes 3$/m);
    expect(metrics).toMatch(/^p2p_alive_nodes 3$/m);
    expect(metrics).toMatch(/^p2p_placements_total 3$/m);
    expect(metrics).toMatch(/^p2p_tree_depth 2$/m);
    expect(metrics).toMatch(/^p2p_packets_total\{kind="register-request",direction="in"\} 3$/m);
    expect((await fetch(`${base}/`)).headers.get('content-type')).toContain('text/html');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/api/topology`, { method: 'POST' })).status).toBe(405);
  });
});
