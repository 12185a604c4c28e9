import { type Address, type Packet, parseAddress } from '@p2p/codec';
import type { Peer } from '@p2p/peer';
import { firstReply, SpoofingSocket, until } from '@p2p/test-net';
import { afterEach, describe, expect, it } from 'vitest';
import type { RootServer } from '../src/index.js';
import { LosslessNetwork } from './lossless-network.js';

let network: LosslessNetwork;
const sockets: SpoofingSocket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await network.close();
});

/** A connection from 127.0.0.2 to `to`, closed after the test. */
async function spoofer(to: string): Promise<SpoofingSocket> {
  const socket = await SpoofingSocket.open(to);
  sockets.push(socket);
  return socket;
}

/** The root with the source-IP check on, a peer of `options` under it (joined). */
async function rootWithChild(options: Parameters<LosslessNetwork['startPeer']>[1] = {}) {
  network = new LosslessNetwork();
  const root = await network.startRoot({ verifySourceIp: true });
  const child = await network.startPeer(root, options);
  await network.joined([child], () => root.node);
  return { root, child, self: parseAddress(child.address) };
}

/** Resolves once `root` dropped `count` packets as spoofed. */
function spoofedDrops(root: RootServer, count: number): Promise<void> {
  return until(
    `${count} spoofed packet(s) dropped`,
    () => root.node.counters.dropped['spoofed-source'] === count,
    [root.node],
    ['dropped'],
    5_000,
  );
}

/** The root broadcasts `text`; resolves once `child` delivered it (it would not, sent as type 8 to a node without the extension). */
async function reaches(root: RootServer, child: Peer, text: string): Promise<void> {
  const delivered = until(
    `${text} at the child`,
    () => network.delivered.get(child.address)?.some((m) => m.text === text) === true,
    [child],
    ['message'],
    5_000,
  );
  await root.node.broadcast(text);
  await delivered;
}

describe("with the source-IP check, the root takes the extension's packets only from the IP they claim (10.1)", () => {
  it('a Capabilities offer in the name of a version-1 child does not make its edge lossless', async () => {
    const { root, child, self } = await rootWithChild({ lossless: false });
    const attacker = await spoofer(root.address);
    await attacker.send({
      kind: 'capabilities-offer',
      source: self,
      capabilities: { ids: 1, window: 32 },
    });
    await spoofedDrops(root, 1);
    expect(root.node.losslessStats?.losslessEdges).toEqual([]);
    await reaches(root, child, 'after the forged offer');
    expect(child.counters.dropped['extension-off']).toBe(0); // no Digest, no Identified Message
  });

  it('a Capabilities offer it refuses is not answered: acknowledged only', async () => {
    const { root, self } = await rootWithChild({ lossless: false });
    const offer: Packet = { kind: 'capabilities-offer', source: self, capabilities: { ids: 1 } };
    expect(await firstReply(root.address, offer)).toBe('ACK');
    await spoofedDrops(root, 1);
  });

  it('a Digest in the name of a version-1 child does not make its edge lossless nor bring repairs', async () => {
    const { root, child, self } = await rootWithChild({ lossless: false });
    await root.node.broadcast('cached before'); // something a repair would send
    const attacker = await spoofer(root.address);
    await attacker.send({ kind: 'digest', source: self, fresh: false, entries: [] });
    await spoofedDrops(root, 1);
    expect(root.node.losslessStats?.losslessEdges).toEqual([]);
    expect(root.node.losslessStats?.repairedOut).toBe(0);
    await reaches(root, child, 'after the forged digest');
    expect(child.counters.dropped['extension-off']).toBe(0);
  });

  it('an Identified Message in the name of a lossless child is neither delivered nor forwarded', async () => {
    const { root, child, self } = await rootWithChild();
    expect(root.node.losslessStats?.losslessEdges).toEqual([child.address]);
    const attacker = await spoofer(root.address);
    const origin: Address = { host: '127.0.0.9', port: 9 };
    await attacker.send({
      kind: 'identified-message',
      source: self,
      author: 'origin',
      start: true,
      origin,
      epoch: Date.now(),
      seq: 1,
      text: 'forged',
    });
    await spoofedDrops(root, 1);
    expect(root.node.counters.messagesDelivered).toBe(0);
    expect(root.node.losslessStats?.origins).toBe(0);
  });

  it('a plain Message in the name of a lossless child does not turn its edge to version 1', async () => {
    const { root, child, self } = await rootWithChild();
    const attacker = await spoofer(root.address);
    await attacker.send({ kind: 'message', source: self, text: 'forged' });
    await spoofedDrops(root, 1);
    expect(root.node.counters.messagesDelivered).toBe(0);
    expect(root.node.losslessStats?.losslessEdges).toEqual([child.address]);
    expect(root.node.losslessStats?.gatewayed).toBe(0);
  });
});
