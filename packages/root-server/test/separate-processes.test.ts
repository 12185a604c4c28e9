import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { until } from '@p2p/test-net';
import { afterEach, describe, expect, it } from 'vitest';
import { RootServer } from '../src/index.js';
import { PeerProcess } from './peer-process.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function startPeers(
  root: RootServer,
  count: number,
  timings: object,
): Promise<PeerProcess[]> {
  const peers: PeerProcess[] = [];
  for (let i = 0; i < count; i++) {
    const peer = new PeerProcess(root.address, timings);
    cleanups.push(async () => {
      peer.kill();
      await peer.exited;
    });
    peers.push(peer);
    // One at a time, so the shape of the tree is known.
    await peer.until('a parent', () => peer.parent !== null);
  }
  return peers;
}

/** Every live peer is in the root's tree with the parent it reports, and has had a hello answered since `since`. */
async function treeAgrees(root: RootServer, peers: PeerProcess[], since: number[] = []) {
  await Promise.all(
    peers.map((peer, i) =>
      peer.until('a hello answered in its current place', () => {
        const node = root.topology().nodes.find((n) => n.address === peer.address);
        return (
          node?.alive === true &&
          node.parent === peer.parent &&
          peer.count('hello-answered') > (since[i] ?? 0)
        );
      }),
    ),
  );
}

async function everyoneHears(root: RootServer, peers: PeerProcess[], text: string) {
  await root.node.broadcast(text);
  await Promise.all(
    peers.map((peer) =>
      peer.until(`message "${text}"`, () => peer.count('message', (e) => e.text === text) > 0),
    ),
  );
  for (const peer of peers) expect(peer.count('message', (e) => e.text === text)).toBe(1);
}

// Fast, with room for a loaded machine: a starved hello must not look like a failure.
const fast = { helloInterval: 200, peerTimeout: 4_000, rootTimeout: 3_800 };

describe('a root with peers in separate processes', () => {
  it('everyone attaches breadth-first; killing an interior peer re-attaches its children elsewhere', {
    timeout: 60_000,
  }, async () => {
    const root = await RootServer.start({ listen: '127.0.0.1:0', http: null, timings: fast });
    cleanups.push(() => root.close());
    const peers = await startPeers(root, 7, fast);
    await treeAgrees(root, peers);
    // Breadth-first: two under the root, then two under each of those, then one more.
    expect(peers.map((p) => root.node.registry.graph.depthOf(p.address))).toEqual([
      1, 1, 2, 2, 2, 2, 3,
    ]);
    await everyoneHears(root, peers, 'before the crash');

    const victim = peers[0] as PeerProcess; // interior: children peers[2], peers[3], grandchild peers[6]
    const subtree = root.node.registry.graph.subtreeOf(victim.address);
    expect(subtree.length).toBeGreaterThan(1);
    victim.kill();
    await victim.exited;
    const survivors = peers.filter((p) => p !== victim);
    await until(
      'the dead peer turned off and every survivor placed again',
      () => {
        const nodes = root.topology().nodes;
        const alive = (address: string) => nodes.find((n) => n.address === address)?.alive === true;
        return !alive(victim.address) && survivors.every((p) => alive(p.address));
      },
      [root],
      ['placed', 'turned-off'],
    );
    await Promise.all(
      survivors.map((p) =>
        p.until('its new parent', () => p.parent !== null && p.parent !== victim.address),
      ),
    );
    // Nobody sits below itself, and the graph is a binary tree again.
    expect(root.node.registry.graph.verify()).toEqual([]);
    for (const peer of survivors) {
      expect(root.node.registry.graph.subtreeOf(peer.address)).not.toContain(peer.parent);
    }
    await treeAgrees(
      root,
      survivors,
      survivors.map((p) => p.count('hello-answered')),
    );
    await everyoneHears(root, survivors, 'after the crash');
  });

  it('a root restarted on the same store keeps registrations and tree; peers carry on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2p-root-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = join(dir, 'root.db');
    // A hello in flight while the root is down is lost; its peer re-advertises after the peer timeout.
    const timings = { helloInterval: 200, peerTimeout: 3_000, rootTimeout: 2_800 };
    const first = await RootServer.start({ listen: '127.0.0.1:0', http: null, store, timings });
    const address = first.address;
    const peers = await startPeers(first, 5, timings);
    await treeAgrees(first, peers);
    const before = first
      .topology()
      .nodes.map(({ address, parent, alive }) => ({ address, parent, alive }));
    await first.close();

    const second = await RootServer.start({ listen: address, http: null, store, timings });
    cleanups.push(() => second.close());
    const registrations: string[] = [];
    second.on('node-registered', ({ address }) => registrations.push(address));
    expect(
      second.topology().nodes.map(({ address, parent, alive }) => ({ address, parent, alive })),
    ).toEqual(before);
    await treeAgrees(
      second,
      peers,
      peers.map((p) => p.count('hello-answered')),
    );
    expect(registrations).toEqual([]);
    await everyoneHears(second, peers, 'after the restart');
  });
});
