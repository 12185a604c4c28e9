import type { Topology } from '@p2p/root-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  namespaceSupport,
  type PeerProgram,
  registerClient,
  sweepAbandoned,
} from '../src/index.js';
import { ip } from '../src/ip.js';
import { eventually, HostNetwork, subtreeOf } from './host-network.js';

const HOSTS = 8;
const PEERS_PER_HOST = 4;
const support = await namespaceSupport();
const inCi = !['', '0', 'false', undefined].includes(process.env.CI);

/** Figures printed at the end (not asserted: timings and losses are measured, not promised). */
const figures: string[] = [];
const note = (line: string) => {
  figures.push(line);
  console.log(`[hosts] ${line}`);
};

describe('network namespaces on this machine', () => {
  it('can be made (else the suite is skipped, or fails under CI)', (ctx) => {
    if (support.ok) return;
    if (inCi) throw new Error(`the hosts suite must run in CI: ${support.reason}`);
    ctx.skip(`skipped: ${support.reason}`);
  });
});

describe.runIf(support.ok)(
  `${HOSTS} hosts × ${PEERS_PER_HOST} peers, a root on its own host`,
  () => {
    let net: HostNetwork;
    let prefix = '';

    /** Every peer but `except`. */
    const others = (except: PeerProgram) => net.peers.filter((p) => p !== except);
    /** How many of `peers` delivered `text`, and how many delivered it more than once. */
    const tally = (peers: readonly PeerProgram[], text: string) => ({
      reached: peers.filter((p) => p.received(text).length > 0).length,
      duplicated: peers.filter((p) => p.received(text).length > 1).length,
    });

    beforeAll(async () => {
      const abandoned = await sweepAbandoned();
      if (abandoned.namespaces.length > 0)
        console.log(`[hosts] removed ${abandoned.namespaces.length} namespaces of killed runs`);
      net = await HostNetwork.create(HOSTS);
      prefix = net.bed.prefix;
    }, 60_000);

    afterAll(async () => {
      if (net === undefined) return;
      const { swept, running } = await net.close();
      console.log(`[hosts] figures:\n  ${figures.join('\n  ')}`);
      // Nothing may be left behind: every program stopped before its namespace went, no namespace
      // or process of this run remains.
      expect(swept.processes, 'processes still inside the namespaces at the end').toEqual([]);
      expect(running, 'processes of this run still running').toEqual([]);
      expect((await ip('netns', 'list')).includes(prefix), `namespaces ${prefix}-* left`).toBe(
        false,
      );
    }, 60_000);

    it('forms with the source-IP check on, every peer advertising its own host address', async () => {
      const started = Date.now();
      await net.startPeers(net.peerHosts, PEERS_PER_HOST);
      const topology = await net.untilAttached(net.peers, 60_000);
      note(`formation of ${net.peers.length} peers on ${HOSTS} hosts: ${Date.now() - started} ms`);

      expect(topology.root).toBe(`${net.bed.host('root').address}:${topology.root.split(':')[1]}`);
      expect(topology.nodes.map((n) => n.address).sort()).toEqual(
        net.peers.map((p) => p.address).sort(),
      );
      for (const peer of net.peers) {
        const [host] = peer.address.split(':');
        expect(host, `${peer.process.label} advertises its host's address`).toBe(peer.host.address);
        expect(host).not.toMatch(/^(0\.0\.0\.0|127\.)/);
      }
      for (const node of topology.nodes) expect(node.children.length).toBeLessThanOrEqual(2);
      expect(topology.nodes.filter((n) => n.parent === topology.root).length).toBeLessThanOrEqual(
        2,
      );
    }, 90_000);

    it('delivers a broadcast from every host to every peer exactly once', async () => {
      const origins = net.peerHosts.map((host) => net.peersOn(host.name)[0] as PeerProgram);
      await Promise.all(origins.map((origin, i) => origin.broadcast(`from h${i + 1}`)));
      await Promise.all(
        origins.map((origin, i) => net.untilReceived(others(origin), `from h${i + 1}`, 20_000)),
      );
      for (const [i, origin] of origins.entries()) {
        const text = `from h${i + 1}`;
        for (const peer of others(origin))
          expect(peer.received(text), peer.process.label).toHaveLength(1);
        expect(origin.received(text)).toHaveLength(0);
      }
    }, 60_000);
  },
);
