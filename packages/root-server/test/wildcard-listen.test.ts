import net from 'node:net';
import { parseAddress } from '@p2p/codec';
import { Peer } from '@p2p/peer';
import { afterEach, describe, expect, it } from 'vitest';
import { RootServer } from '../src/index.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('a root listening on 0.0.0.0', () => {
  it('registers and places peers that dial a concrete address, and Messages and hellos flow', async () => {
    const root = await RootServer.start({ listen: '0.0.0.0:0', http: null, timings: 'fast' });
    closers.push(() => root.close());
    const dialled = `127.0.0.1:${root.address.split(':')[1]}`;
    const peers: Peer[] = [];
    for (let i = 0; i < 3; i++) {
      const peer = await Peer.start({ listen: '0.0.0.0:0', root: dialled, timings: 'fast' });
      closers.push(() => peer.close());
      peers.push(peer);
      await peer.joined({ timeoutMs: 15_000 });
    }
    const [first, second, third] = peers as [Peer, Peer, Peer];
    // Nobody is told to join 0.0.0.0: the root's children know it by the address they dialled.
    expect(peers.map((p) => p.parent)).toEqual([dialled, dialled, first.address]);
    expect(peers.every((p) => p.address.startsWith('127.0.0.1:'))).toBe(true);
    expect(root.topology().nodes.map((n) => n.address)).toEqual(peers.map((p) => p.address));

    const answered = new Promise((resolve) => first.once('hello-answered', resolve));
    const received = [root, first, second].map(
      (node) =>
        new Promise<string>((resolve) =>
          (node as Peer).once('message', ({ text }: { text: string }) => resolve(text)),
        ),
    );
    expect(await third.broadcast('through a root on 0.0.0.0')).toEqual({
      delivered: 1,
      failed: [],
    });
    expect(await Promise.all(received)).toEqual(Array(3).fill('through a root on 0.0.0.0'));
    await answered;
    expect(peers.every((p) => p.counters.dropped['not-from-root'] === 0)).toBe(true);
  });

  it('names itself as the origin of its Messages by an address peers can dial, the same for all, not 0.0.0.0 (10.1.8)', async () => {
    const root = await RootServer.start({ listen: '0.0.0.0:0', http: null, timings: 'fast' });
    closers.push(() => root.close());
    const port = parseAddress(root.address).port;
    const peers: Peer[] = [];
    for (let i = 0; i < 3; i++) {
      const peer = await Peer.start({
        listen: '0.0.0.0:0',
        root: `127.0.0.1:${port}`,
        timings: 'fast',
      });
      closers.push(() => peer.close());
      peers.push(peer);
      await peer.joined({ timeoutMs: 15_000 });
    }
    const origins = (node: Peer | RootServer) =>
      new Promise<string | null>((resolve) =>
        (node as Peer).once('message', ({ origin }) => resolve(origin)),
      );
    const fromRoot = peers.map(origins);
    await root.node.broadcast('from the root');
    const [origin, ...others] = await Promise.all(fromRoot);
    // One name for the root across the tree (the seen-sets key on it), with the port it listens on.
    expect(others).toEqual([origin, origin]);
    expect(origin).not.toBeNull();
    const { host, port: originPort } = parseAddress(origin as string);
    expect(host).not.toBe('0.0.0.0');
    expect(originPort).toBe(port);
    expect(root.node.origin).toBe(origin);
    // Usable: the root answers there.
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host, port }, () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', reject);
    });

    // A peer on 0.0.0.0 names itself by its interface towards the root, as in every packet.
    const [first, ...rest] = peers as [Peer, Peer, Peer];
    const fromPeer = [root, ...rest].map(origins);
    await first.broadcast('from a peer');
    expect(await Promise.all(fromPeer)).toEqual(Array(3).fill(first.address));
    expect(first.address.startsWith('127.0.0.1:')).toBe(true);
    // The root's Digests came from the address its children dialled, and were taken.
    expect(root.node.losslessStats?.losslessEdges.sort()).toEqual(root.node.children.sort());
    for (const child of peers.filter((p) => p.parent === `127.0.0.1:${port}`)) {
      expect(child.counters.packetsIn.digest).toBeGreaterThan(0);
      expect(child.counters.dropped['not-a-neighbour']).toBe(0);
    }
  });
});
