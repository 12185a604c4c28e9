import { decode } from '@p2p/codec';
import { expect, it } from 'vitest';
import {
  attached,
  harmToReferences,
  heard,
  type OurPeer,
  referenceJoins,
  STEP_TIMEOUT,
  until,
} from '../src/network.js';
import type { ReferenceNode } from '../src/reference-node.js';
import { networksStoppedAfterEach, scenario } from './reference.js';

const newNetwork = networksStoppedAfterEach();

scenario('our root with reference peers and our peers in one tree', () => {
  it('carries Messages from each kind to every other node, answering each in its own framing', async () => {
    const network = newNetwork();
    const root = await network.startOurRoot();
    const rootMessages: string[] = [];
    root.on('message', ({ text }) => rootMessages.push(text));

    // Placed breadth-first: p (ours, text) and x (reference) under the root, y (reference) and
    // q (ours, text) under p, z (ours, binary) under x. A text peer is never placed under a
    // reference node: its Join, the first packet it writes there, would be in its default framing,
    // and the reference reads binary only (docs/interop.md).
    const p = await network.startOurPeer(root.address, { framing: 'text' });
    await attached(p, STEP_TIMEOUT, root.node);
    const x = await network.startReference('reference peer x', root.address);
    await referenceJoins(x, root, STEP_TIMEOUT);
    const y = await network.startReference('reference peer y', root.address);
    await referenceJoins(y, root, STEP_TIMEOUT, p.peer);
    const q = await network.startOurPeer(root.address, { framing: 'text' });
    await attached(q, STEP_TIMEOUT, p.peer);
    const z = await network.startOurPeer(root.address, { framing: 'binary' });
    await attached(z, STEP_TIMEOUT, x);

    const references: ReferenceNode[] = [x, y];
    const ours: OurPeer[] = [p, q, z];
    const reachesAll = async (text: string, sender: ReferenceNode | OurPeer) => {
      await Promise.all([
        until(
          root,
          'message',
          () => rootMessages.includes(text),
          STEP_TIMEOUT,
          `'${text}' at the root`,
        ),
        ...references
          .filter((node) => node !== sender)
          .map((node) => node.waitForMessage(text, STEP_TIMEOUT)),
        ...ours.filter((node) => node !== sender).map((node) => heard(node, text, STEP_TIMEOUT)),
      ]);
    };

    x.type('SendMessage from reference x');
    await reachesAll('from reference x', x);
    y.type('SendMessage from reference y');
    await reachesAll('from reference y', y);
    await p.peer.broadcast('from our p');
    await reachesAll('from our p', p);
    await q.peer.broadcast('from our q');
    await reachesAll('from our q', q);
    await z.peer.broadcast('from our z');
    await reachesAll('from our z', z);

    // Each node is answered in its own framing: our root and p wrote text to our text peers...
    expect([...(p.framingsFrom.get(root.address) ?? [])]).toEqual(['text']);
    expect([...(q.framingsFrom.get(root.address) ?? [])]).toEqual(['text']);
    expect([...(q.framingsFrom.get(p.address) ?? [])]).toEqual(['text']);
    expect([...(z.framingsFrom.get(root.address) ?? [])]).toEqual(['binary']);
    // ...and every read of a reference node (from our root, from p) was one whole binary frame.
    expect(harmToReferences(network)).toEqual([]);
    // Lossless extension: a reference node reads no Identified Message nor Digest, and one offer
    // per node of ours attached under it (z under x), alone on a probe connection.
    const kinds = (node: ReferenceNode) => node.reads.map((bytes) => decode(bytes).packet.kind);
    for (const node of references) {
      expect(kinds(node)).not.toContain('identified-message');
      expect(kinds(node)).not.toContain('digest');
      expect(kinds(node)).not.toContain('capabilities-answer');
    }
    expect(kinds(x).filter((kind) => kind === 'capabilities-offer')).toHaveLength(1);
    expect(kinds(y).filter((kind) => kind === 'capabilities-offer')).toHaveLength(0);
    // Beyond the reference x our z knows no origin; our p and q, lossless with our root, do.
    expect(z.peer.losslessStats?.losslessEdges).toEqual([]);
    expect(p.peer.losslessStats?.losslessEdges.sort()).toEqual([root.address, q.address].sort());
  });
});
