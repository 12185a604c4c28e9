import type { Peer } from '@p2p/peer';
import { until } from '@p2p/test-net';
import { afterEach, describe, expect, it } from 'vitest';
import { ClockedNetwork, timings } from './clocked-network.js';
import { RootCut, type RootLink } from './root-link.js';

let network: ClockedNetwork;
afterEach(() => network?.close());

/** Lets loopback I/O run between two moves of the manual clock. */
async function io(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Moves the clock in small steps until `done()` holds; fails past `limitMs` of clock time. */
async function stepUntil(what: string, done: () => boolean, limitMs: number): Promise<void> {
  for (let moved = 0; !done(); moved += 25) {
    if (moved > limitMs) throw new Error(`not within ${limitMs} ms of clock time: ${what}`);
    network.clock.advance(25);
    await io();
  }
}

/** Seven peers in a quiet tree, each seeing the root through `cut`. */
async function sevenPeers(cut: RootCut) {
  network = new ClockedNetwork();
  const root = await network.startRoot();
  const links = new Map<Peer, RootLink>();
  for (let i = 0; i < 7; i++) {
    let link: RootLink | undefined;
    const peer = await network.startPeer((transport) => {
      link = cut.link(transport, root.address);
      return link;
    });
    links.set(peer, link as RootLink);
  }
  await network.advance(2 * timings.helloInterval, network.peers);
  const graph = root.node.registry.graph;
  const parents = () => new Map(network.peers.map((p) => [p.address, graph.parentOf(p.address)]));
  const rootAway = new Set<string>();
  for (const peer of network.peers) peer.on('root-away', () => rootAway.add(peer.address));
  const turnedOff: string[][] = [];
  root.on('turned-off', ({ addresses }) => turnedOff.push(addresses));
  const { placements, kept } = root.node.rootCounters;
  return { root, graph, parents, rootAway, turnedOff, placements, kept, links };
}

/** Cut the root off until every peer of `live` has taken its parent back, and past the root timeout. */
async function cutUntilEveryoneWaits(cut: RootCut, live: Peer[], rootAway: Set<string>) {
  cut.cut();
  await stepUntil(
    'every peer waits for the root under its parent',
    () => live.every((p) => rootAway.has(p.address) && p.reunion === 'attached'),
    10 * timings.peerTimeout,
  );
  await stepUntil('past the root timeout', () => false, 2 * timings.rootTimeout).catch(() => {});
}

async function everyoneHears(from: Peer, others: Peer[], text: string): Promise<void> {
  const heard = new Set<string>();
  for (const peer of others) {
    peer.on('message', ({ text: got }) => {
      if (got === text) heard.add(peer.address);
    });
  }
  // Not awaited: a child of the root waits for the root's acknowledgement too.
  void from.broadcast(text);
  await until(`"${text}" heard by every peer`, () => heard.size === others.length, others, [
    'message',
  ]);
}

describe('the root cut off and back (protocol.md 5.6.5, 5.6.6)', () => {
  it('the tree floods on without it, and nothing is placed again when it returns', {
    timeout: 60_000,
  }, async () => {
    const cut = new RootCut();
    const s = await sevenPeers(cut);
    const before = s.parents();
    const peerParents = network.peers.map((p) => p.parent);

    await cutUntilEveryoneWaits(cut, network.peers, s.rootAway);
    // The root heard nobody: it turned nobody off, whatever the root timeout says.
    expect(s.root.node.cutOff).toBe(true);
    expect(s.turnedOff).toEqual([]);
    expect(s.graph.aliveCount).toBe(7);
    // Without the root the tree is two halves: a Message floods the sender's half.
    const [top] = s.graph.childrenOf(s.root.address);
    const sender = network.byAddress(top as string) as Peer;
    const half = s.graph.subtreeOf(sender.address).filter((a) => a !== sender.address);
    expect(half.length).toBeGreaterThanOrEqual(2);
    await everyoneHears(
      sender,
      half.map((a) => network.byAddress(a) as Peer),
      'root away',
    );

    cut.restore();
    await stepUntil(
      'every peer in the tree again through a hello',
      () => network.quiet(network.peers) && network.peers.every((p) => p.joinedParent !== null),
      10 * timings.peerTimeout,
    );
    expect(s.root.node.rootCounters.placements).toBe(s.placements);
    expect(s.parents()).toEqual(before);
    expect(network.peers.map((p) => p.parent)).toEqual(peerParents);
    // Nobody is turned off later either: each was given a fresh start.
    await network.advance(2 * timings.rootTimeout, network.peers);
    expect(s.turnedOff).toEqual([]);
    expect(s.root.node.rootCounters.placements).toBe(s.placements);
    await everyoneHears(
      sender,
      network.peers.filter((p) => p !== sender),
      'root back',
    );
  });

  it('a node that died during the cut is turned off one root timeout after the root is back', {
    timeout: 60_000,
  }, async () => {
    const cut = new RootCut();
    const s = await sevenPeers(cut);
    const leaf = network.peers.find((p) => p.children.length === 0) as Peer;
    const live = network.peers.filter((p) => p !== leaf);
    await cutUntilEveryoneWaits(cut, network.peers, s.rootAway);
    s.links.get(leaf)?.freeze();
    await stepUntil('past the root timeout again', () => false, timings.rootTimeout).catch(
      () => {},
    );
    expect(s.turnedOff).toEqual([]);

    cut.restore();
    await stepUntil(
      'the live peers in the tree again',
      () => network.quiet(live) && live.every((p) => p.joinedParent !== null),
      10 * timings.peerTimeout,
    );
    await stepUntil(
      'the dead leaf turned off',
      () => s.turnedOff.length > 0,
      2 * timings.rootTimeout,
    );
    expect(s.turnedOff).toEqual([[leaf.address]]);
    expect(s.root.node.rootCounters.placements).toBe(s.placements);
    expect(s.graph.aliveCount).toBe(6);
  });
});
