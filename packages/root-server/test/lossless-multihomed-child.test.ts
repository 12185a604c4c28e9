import type { Peer } from '@p2p/peer';
import { until } from '@p2p/test-net';
import { afterEach, describe, expect, it } from 'vitest';
import { LosslessNetwork } from './lossless-network.js';

let network: LosslessNetwork;
afterEach(async () => {
  await network.close();
});

/** Resolves once `to` delivered `text` (sent by `from`). */
async function reaches(from: Peer, to: Peer, text: string): Promise<void> {
  const delivered = until(
    `${text} at ${to.address}`,
    () => network.delivered.get(to.address)?.some((m) => m.text === text) === true,
    [to],
    ['message'],
    10_000,
  );
  await from.broadcast(text);
  await delivered;
}

describe('a child whose connections leave from another IP than the one it advertises (10.1.2 item 8)', () => {
  it('exchanges Messages both ways with a parent that checks source IPs, on a version-1 edge', async () => {
    network = new LosslessNetwork();
    const root = await network.startRoot();
    // Two peers under the root, both checking: the third is placed under one of them.
    const a = await network.startPeer(root, { verifySourceIp: true });
    const b = await network.startPeer(root, { verifySourceIp: true });
    await network.joined([a, b], () => root.node);
    // Listening on 127.0.0.2, its connections to 127.0.0.1 leave from 127.0.0.1 (as from a host
    // with several interfaces, behind a NAT hairpin or a VPN).
    const child = await network.startPeer(root, { listen: '127.0.0.2:0', verifySourceIp: true });
    await network.joined([child], (peer) => [a, b].find((node) => node.address === peer.parent));
    const p = [a, b].find((node) => node.address === child.parent) as Peer;
    await reaches(child, p, 'from the child');
    await reaches(p, child, 'from the parent');
    // The parent declined the offer (refused as spoofed, its one refusal): both sides on version 1.
    expect(p.counters.dropped['spoofed-source']).toBe(1);
    expect(p.losslessStats?.losslessEdges).not.toContain(child.address);
    expect(child.losslessStats?.losslessEdges).not.toContain(p.address);
    expect(child.counters.dropped['plain-on-lossless-edge']).toBe(0);
  }, 30_000);
});
