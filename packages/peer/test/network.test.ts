import { until } from '@p2p/test-net';
import { afterEach, describe, expect, it } from 'vitest';
import { Peer } from '../src/index.js';
import { StandInRoot } from './stand-in-root.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function network(size: number) {
  const root = await StandInRoot.start();
  closers.push(() => root.close());
  const peers: Peer[] = [];
  for (let i = 0; i < size; i++) {
    const peer = await Peer.start({ listen: '127.0.0.1:0', root: root.address, timings: 'fast' });
    closers.push(() => peer.close());
    peers.push(peer);
    // One at a time, so the breadth-first shape is predictable.
    await until('the peer attached', () => peer.parent !== null, [peer], ['parent']);
  }
  // Every Join has landed when each parent lists its children.
  const nodes = [root, ...peers];
  const joined = () =>
    peers.every((p) => nodes.some((n) => n.address === p.parent && n.children.includes(p.address)));
  await until('every Join landed', joined, nodes, ['neighbour-added']);
  return { root, peers, nodes };
}

describe('peers on loopback with a stand-in root', () => {
  it('six peers attach breadth-first and a Message from a leaf reaches every other node once', async () => {
    const { root, peers, nodes } = await network(6);
    expect(peers.map((p) => p.parent)).toEqual([
      root.address,
      root.address,
      peers[0]?.address,
      peers[0]?.address,
      peers[1]?.address,
      peers[1]?.address,
    ]);
    const received = new Map<string, string[]>(nodes.map((n) => [n.address, []]));
    for (const node of nodes)
      node.on('message', ({ text }) => received.get(node.address)?.push(text));
    const leaf = peers[5] as Peer;
    await leaf.broadcast('from a leaf');
    await until(
      "the leaf's Message at every other node",
      () => nodes.every((n) => n === leaf || (received.get(n.address)?.length ?? 0) >= 1),
      nodes,
      ['message'],
    );
    for (const node of nodes)
      expect(received.get(node.address)).toEqual(node === leaf ? [] : ['from a leaf']);
  });

  it('keeps the reunion cycle going: hellos reach the root with their whole path', async () => {
    const { root, peers } = await network(3);
    const deep = peers[2] as Peer;
    await until(
      'a hello of the deepest peer at the root',
      () => root.hellos.some((path) => path[0] === deep.address),
      [deep],
      ['hello-answered'],
    );
    expect(root.hellos.find((path) => path[0] === deep.address)).toEqual([
      deep.address,
      peers[0]?.address,
    ]);
  });

  it('children of a closed peer notice at once, re-advertise and re-attach elsewhere', async () => {
    const { peers } = await network(6);
    const [first, second, a, b] = peers as [Peer, Peer, Peer, Peer];
    const failures: string[] = [];
    for (const orphan of [a, b])
      orphan.on('reunion-failure', ({ reason }) => failures.push(reason));
    await first.close();
    await until(
      'the orphans attached elsewhere',
      () => [a, b].every((p) => p.reunion === 'attached' && p.parent !== first.address),
      [a, b],
      ['parent'],
    );
    expect(failures).toEqual(['parent-unreachable', 'parent-unreachable']);
    const received: string[] = [];
    for (const p of [a, b]) p.on('message', ({ text }) => received.push(text));
    await until(
      'the orphans counted by their new parents',
      () => [a, b].every((p) => p.parent !== null && p.neighbours.length > 0),
      [a, b],
      ['neighbour-added'],
    );
    await second.broadcast('still connected');
    await until('the Message at both orphans', () => received.length === 2, [a, b], ['message']);
  });

  it('a peer whose root is down keeps retrying and joins once the root is up', async () => {
    const first = await StandInRoot.start();
    const address = first.address;
    await first.close();
    const peer = await Peer.start({
      listen: '127.0.0.1:0',
      root: address,
      timings: 'fast',
      retry: { initialMs: 20, maxMs: 50 },
    });
    closers.push(() => peer.close());
    await until('root-unreachable', () => true, [peer], ['root-unreachable']);
    expect(peer.registered).toBe(false);
    // The same address again: the OS gave it to the first root and nothing else has taken it.
    const root = await StandInRoot.start(address);
    closers.push(() => root.close());
    await until('the peer under the root', () => peer.parent === root.address, [peer], ['parent']);
    expect(peer.registered).toBe(true);
  });
});
