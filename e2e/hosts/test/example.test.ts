import { describe, expect, inject, it } from 'vitest';
import { HttpProbe, namespaceSupport, PeerProgram, RootProgram, Testbed } from '../src/index.js';

const support = await namespaceSupport();

// The README's example, as written there.
describe.runIf(support.ok)('the README example', () => {
  it('runs a root and a peer on two hosts and reads the topology from inside', async () => {
    const bed = await Testbed.create({
      hosts: ['root', 'h1'],
      prefix: `${inject('runPrefix')}e`, // the README leaves it out: a fresh one is made
    });
    try {
      const root = await RootProgram.start(bed.host('root'));
      const peer = await PeerProgram.start(bed.host('h1'), root.address, 'peer');
      await peer.process.waitFor((e) => e.event === 'parent' && e.parent !== null, 20_000);
      const probe = new HttpProbe(bed.host('root'));
      const topology = await probe.json<{ nodes: { address: string }[] }>(
        `http://${root.http}/api/topology`,
      );
      expect(topology.nodes.map((n) => n.address)).toEqual([peer.address]); // 10.213.0.2:…
      await Promise.all([peer.process.stop(), root.process.stop(), probe.process.stop()]);
    } finally {
      const left = await bed.destroy();
      expect(left.processes).toEqual([]);
    }
  });
});
