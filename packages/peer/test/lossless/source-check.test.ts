import { type Address, type Packet, parseAddress } from '@p2p/codec';
import { firstReply, SpoofingSocket, until } from '@p2p/test-net';
import { afterEach, describe, expect, it } from 'vitest';
import { Peer, type PeerOptions } from '../../src/index.js';
import { StandInRoot } from '../stand-in-root.js';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A connection from 127.0.0.2 to `to`, closed after the test. */
async function spoofer(to: string): Promise<SpoofingSocket> {
  const socket = await SpoofingSocket.open(to);
  closers.push(() => socket.close());
  return socket;
}

async function startPeer(root: StandInRoot, options: Partial<PeerOptions> = {}): Promise<Peer> {
  const peer = await Peer.start({
    listen: '127.0.0.1:0',
    root: root.address,
    timings: 'fast',
    ...options,
  });
  closers.push(() => peer.close());
  await peer.joined({ timeoutMs: 10_000 });
  return peer;
}

/**
 * A stand-in root, a peer with the source-IP check on (`parent`) and one without under the root,
 * and a peer of `childOptions` under `parent` (the root places breadth-first), its edge settled.
 */
async function parentWithChild(childOptions: Partial<PeerOptions>) {
  const root = await StandInRoot.start();
  closers.push(() => root.close());
  const parent = await startPeer(root, { verifySourceIp: true });
  await startPeer(root);
  const child = await startPeer(root, childOptions);
  expect(child.parent).toBe(parent.address);
  await until(
    'the child in the parent',
    () => parent.children.includes(child.address),
    [parent],
    ['neighbour-added'],
  );
  const delivered: string[] = [];
  child.on('message', ({ text }) => delivered.push(text));
  return { root, parent, child, self: parseAddress(child.address), delivered };
}

function spoofedDrops(peer: Peer, count: number): Promise<void> {
  return until(
    `${count} spoofed packet(s) dropped`,
    () => peer.counters.dropped['spoofed-source'] === count,
    [peer],
    ['dropped'],
  );
}

/**
 * `parent` broadcasts `text`: it is sent to the child at once (not held for a Digest) and the child
 * delivers it (sent as an Identified Message, a child without the extension would drop it).
 */
async function reachesAtOnce(parent: Peer, child: Peer, delivered: string[], text: string) {
  const arrived = until(
    `${text} at the child`,
    () => delivered.includes(text),
    [child],
    ['message'],
  );
  const result = await parent.broadcast(text);
  expect(result).toEqual({ delivered: 2, failed: [] }); // the root and the child
  await arrived;
}

describe("with the source-IP check, a peer takes the extension's packets only from the IP they claim (10.1.2 item 8)", () => {
  it('a Capabilities offer in the name of a version-1 child, first on its connection as a probe, does not hold its Messages', async () => {
    const { parent, child, self, delivered } = await parentWithChild({ lossless: false });
    const attacker = await spoofer(parent.address);
    await attacker.send({
      kind: 'capabilities-offer',
      source: self,
      capabilities: { ids: 1, window: 32 },
    });
    await spoofedDrops(parent, 1);
    await reachesAtOnce(parent, child, delivered, 'after the forged offer');
    expect(parent.losslessStats?.losslessEdges).not.toContain(child.address);
  });

  it('a Capabilities offer it refuses is not answered: acknowledged only', async () => {
    const { parent, self } = await parentWithChild({ lossless: false });
    const offer: Packet = { kind: 'capabilities-offer', source: self, capabilities: { ids: 1 } };
    expect(await firstReply(parent.address, offer)).toBe('ACK');
    await spoofedDrops(parent, 1);
  });

  it('a Digest in the name of a version-1 child does not make its edge lossless', async () => {
    const { parent, child, self, delivered } = await parentWithChild({ lossless: false });
    await parent.broadcast('cached before'); // something a repair would send
    const attacker = await spoofer(parent.address);
    await attacker.send({ kind: 'digest', source: self, fresh: false, entries: [] });
    await spoofedDrops(parent, 1);
    expect(parent.losslessStats?.losslessEdges).not.toContain(child.address);
    expect(parent.losslessStats?.repairedOut).toBe(0);
    await reachesAtOnce(parent, child, delivered, 'after the forged digest');
    expect(delivered).toEqual(['cached before', 'after the forged digest']);
    expect(child.counters.dropped['extension-off']).toBe(0); // no Digest, no Identified Message
  });

  it('an Identified Message in the name of a child is neither delivered nor forwarded', async () => {
    const { parent, self } = await parentWithChild({});
    const origins = parent.losslessStats?.origins; // those the root's Digest listed
    const attacker = await spoofer(parent.address);
    const origin: Address = { host: '127.0.0.9', port: 9 };
    await attacker.send({
      kind: 'identified-message',
      source: self,
      author: 'origin',
      start: true,
      origin,
      // A later run of an origin than any real one: taken, every real Message of it is stale.
      epoch: Date.now() + 86_400_000,
      seq: 1,
      text: 'forged',
    });
    await spoofedDrops(parent, 1);
    expect(parent.counters.messagesDelivered).toBe(0);
    expect(parent.counters.messagesForwarded).toBe(0);
    expect(parent.losslessStats?.origins).toBe(origins);
  });

  it('two of our peers, both checking, still make their edge lossless and repair through it', async () => {
    const { parent, child, delivered } = await parentWithChild({ verifySourceIp: true });
    // Settled before the child's first hello is answered (its Digest and the parent's answer go
    // ahead of it on each connection); re-checked on each answered hello.
    await until(
      'the edge lossless on both sides',
      () =>
        parent.losslessStats?.losslessEdges.includes(child.address) === true &&
        child.losslessStats?.losslessEdges.includes(parent.address) === true,
      [child],
      ['hello-answered'],
    );
    const origins: Array<string | null> = [];
    parent.on('message', ({ origin }) => origins.push(origin));
    const arrived = until(
      'the Message at the parent',
      () => origins.length === 1,
      [parent],
      ['message'],
    );
    await child.broadcast('from the child');
    await arrived;
    expect(origins).toEqual([child.address]);
    await reachesAtOnce(parent, child, delivered, 'from the parent');
    expect(parent.counters.dropped['spoofed-source']).toBe(0);
    expect(child.counters.dropped['spoofed-source']).toBe(0);
  });
});
