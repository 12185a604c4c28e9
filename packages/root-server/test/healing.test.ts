import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Peer } from '@p2p/peer';
import { until } from '@p2p/test-net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClockedNetwork, timings } from './clocked-network.js';

let network: ClockedNetwork;
const cleanups: Array<() => void> = [];
afterEach(async () => {
  await network?.close();
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Every peer's reunion failures and every placement the root makes, from now on. */
function watch(peers: Peer[]) {
  const failures: string[] = [];
  const placed: string[] = [];
  for (const peer of peers) peer.on('reunion-failure', () => failures.push(peer.address));
  network.root.on('placed', ({ address }) => placed.push(address));
  return { failures, placed };
}

async function everyoneHears(live: Peer[], text: string): Promise<void> {
  const heard = new Set<string>();
  const listeners = live.map((peer) => {
    const listener = ({ text: got }: { text: string }) => {
      if (got === text) heard.add(peer.address);
    };
    peer.on('message', listener);
    return () => peer.off('message', listener);
  });
  try {
    await network.root.node.broadcast(text);
    await until(
      `every live peer hears "${text}" (missing: ${live.length - heard.size})`,
      () => heard.size === live.length,
      live,
      ['message'],
      5_000,
    );
  } finally {
    for (const off of listeners) off();
  }
}

describe('healing in one wave (15 peers, one process, fast timings on a manual clock)', () => {
  it('an interior child of the root closes: only it leaves, its children re-attach carrying their subtrees, no second wave', {
    timeout: 60_000,
  }, async () => {
    network = new ClockedNetwork();
    await network.startRoot();
    for (let i = 0; i < 15; i++) await network.startPeer();
    const all = [...network.peers];
    await network.advance(2 * timings.helloInterval, all);

    const graph = network.root.node.registry.graph;
    const [victimAddress] = graph.childrenOf(network.root.address);
    const victim = network.byAddress(victimAddress as string) as Peer;
    const orphans = graph.childrenOf(victim.address);
    const below = graph.subtreeOf(victim.address).filter((a) => a !== victim.address);
    const deeper = below.filter((a) => !orphans.includes(a));
    expect(orphans).toHaveLength(2);
    expect(deeper.length).toBeGreaterThanOrEqual(4);
    const live = all.filter((p) => p !== victim);
    const turnedOff: string[][] = [];
    network.root.on('turned-off', ({ addresses }) => turnedOff.push(addresses));
    const { failures, placed } = watch(live);

    // Hellos of the whole tree go out, and the victim closes with some of them in its hands.
    network.clock.advance(timings.helloInterval);
    await victim.close();
    await until(
      'the orphans re-attached elsewhere',
      () =>
        orphans.every((o) => {
          const peer = network.byAddress(o) as Peer;
          return peer.parent !== null && peer.parent !== victim.address && network.joined(peer);
        }),
      [network.root.node, ...live],
      ['parent', 'neighbour-added'],
      5_000,
    );
    // Time runs on past two peer timeouts, every hello round trip done before it moves on.
    await network.advance(2 * timings.peerTimeout, live);

    expect(failures.filter((a) => deeper.includes(a))).toEqual([]);
    expect(placed.filter((a) => deeper.includes(a))).toEqual([]);
    expect(new Set(placed)).toEqual(new Set(orphans));
    expect(turnedOff).toEqual([[victim.address]]);
    expect(network.quiet(live)).toBe(true);
    for (const address of below) expect(graph.isAlive(address)).toBe(true);
    expect(graph.verify()).toEqual([]);
    await everyoneHears(live, 'after the failure');
  });
});

describe('a root restarted on its store', () => {
  it('resumes the same tree: nobody re-advertises, nobody is turned off, hellos in flight are answered', {
    timeout: 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'p2p-restart-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = join(dir, 'root.db');
    network = new ClockedNetwork();
    const first = await network.startRoot({ store });
    const port = first.address.split(':')[1];
    for (let i = 0; i < 6; i++) await network.startPeer();
    const peers = [...network.peers];
    await network.advance(2 * timings.helloInterval, peers);
    const before = new Map(peers.map((p) => [p.address, p.parent]));
    const { failures } = watch(peers);

    // Every peer's hello goes out and the root stops before answering any of them. Its children
    // see their connection to it fail and schedule a retry (on the clock).
    const talking = peers.filter((p) => p.parent === first.address);
    network.clock.advance(timings.helloInterval);
    await first.close();
    await network.untilRootFailures(
      "the root's children saw it go",
      talking,
      (p) => network.rootFailures(p).failed > 0,
    );
    // Down for a retry of each: refused, and retried again at most a hello interval later.
    const refused = new Map(talking.map((p) => [p, network.rootFailures(p).refused]));
    network.clock.advance(timings.helloInterval);
    await network.untilRootFailures(
      'a retry of each refused',
      talking,
      (p) => network.rootFailures(p).refused > (refused.get(p) ?? 0),
    );
    const second = await network.startRoot({ store, listen: `127.0.0.1:${port}` });
    const turnedOff: string[] = [];
    second.on('turned-off', ({ addresses }) => turnedOff.push(...addresses));
    // The next retries reach the new root: their hellos, and those relayed again for the nodes
    // below, are answered.
    network.clock.advance(timings.helloInterval);
    await until(
      'every hello answered by the restarted root',
      () => network.quiet(peers),
      [second.node, ...peers],
      ['hello-answered', 'parent', 'neighbour-added', 'reunion-failure'],
      5_000,
    );
    await network.advance(2 * timings.peerTimeout, peers);

    expect(failures).toEqual([]);
    expect(second.node.rootCounters.placements).toBe(0);
    expect(turnedOff).toEqual([]);
    expect(new Map(peers.map((p) => [p.address, p.parent]))).toEqual(before);
    const graph = second.node.registry.graph;
    for (const peer of peers) expect(graph.parentOf(peer.address)).toBe(peer.parent);
    expect(network.quiet(peers)).toBe(true);
    await everyoneHears(peers, 'after the restart');
  });
});

describe('placement under a dead node', () => {
  it('a node whose connection failed takes no newcomer', async () => {
    network = new ClockedNetwork();
    await network.startRoot();
    for (let i = 0; i < 6; i++) await network.startPeer();
    const graph = network.root.node.registry.graph;
    // The first open node, breadth-first, is the first leaf placed at depth 2.
    const [first] = graph.childrenOf(network.root.address);
    const [dead] = graph.childrenOf(first as string);
    const leaf = network.byAddress(dead as string) as Peer;
    const turnedOff: string[][] = [];
    network.root.on('turned-off', ({ addresses }) => turnedOff.push(addresses));
    await leaf.close();
    await until(
      'the root turned the dead node off',
      () => turnedOff.length > 0,
      [network.root.node],
      ['turned-off'],
      5_000,
    );
    const newcomer = await network.startPeer();
    expect(newcomer.parent).not.toBe(leaf.address);
    expect(graph.parentOf(newcomer.address)).not.toBe(leaf.address);
  });
});
