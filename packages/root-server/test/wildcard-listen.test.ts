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
});
