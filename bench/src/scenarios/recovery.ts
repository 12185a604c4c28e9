import { clock, sleep } from '../clock.js';
import type { Host } from '../host.js';
import { Network } from '../network.js';
import type { RecoveryResult } from '../results.js';

/** How long after recovery late re-advertisements are watched for (beyond the peer timeout). */
const AFTERMATH_MS = 3_000;

/** Starts peers on `host` and waits until they are attached. */
async function startAttached(network: Network, host: Host, count: number): Promise<string[]> {
  const peers = await network.startPeers(host, count);
  await network.until(`${count} peers attached`, () => network.attached(peers), 30_000);
  return peers;
}

/**
 * Sends messages from the root, one at a time, until one reaches every live peer; returns the
 * time it did and how many were sent.
 */
async function deliverToAll(network: Network, tries: number): Promise<[number, number]> {
  const run = await network.begin(network.root.address, tries);
  for (let seq = 0; seq < tries; seq++) {
    await run.send(seq);
    const at = await run.watch.whenComplete(seq, 1_000);
    if (at !== undefined) return [at, seq + 1];
  }
  return [Number.NaN, tries];
}

/**
 * Scenario 4: a tree of `size` peers in which one interior peer, whose subtree holds about a
 * quarter of the tree, runs in a process of its own. That process is SIGKILLed (`crash`: its
 * sockets close, neighbours notice at once) or SIGSTOPped (`silent`: its sockets stay open and
 * nothing answers, so only the reunion timeouts can tell). Timed from the signal until every
 * live peer is attached again where the root's graph has it, and until a new message from the
 * root reaches every live peer.
 *
 * The victim is the third peer placed: breadth-first placement puts it under the root's first
 * child, at depth 2, where its subtree is a quarter of a full tree.
 */
export async function recovery(
  size: number,
  workers: number,
  mode: 'crash' | 'silent',
  round: number,
): Promise<RecoveryResult> {
  const network = await Network.create({ size, workers, window: 1 });
  try {
    const home = network.peerHosts[0] as Host;
    await startAttached(network, home, 2);
    const victimHost = await network.addWorker();
    const [victim] = await startAttached(network, victimHost, 1);
    if (victim === undefined) throw new Error('the victim peer did not start');
    await network.startSpread(size - 3);
    await network.until(
      `${size} peers attached`,
      () => network.peers.length === size && network.attached(network.peers),
      30_000 + 30 * size,
    );
    // A few hello rounds, so that the tree is in its steady state.
    await sleep(500);
    const graph = network.root.node.registry.graph;
    const subtree = graph.subtreeOf(victim).length;
    const live = network.peers.filter((peer) => peer !== victim);
    const placementCount = () => network.root.node.rootCounters.placements;

    network.retire(victimHost);
    const failedAt = clock();
    // Where the root places orphans: under the failed peer itself (its Join is never answered
    // when the peer is stopped), under a node it turns off soon after, or under a node that is
    // itself re-advertising (in reunion failure it drops the Join).
    const placements: Array<{ address: string; parent: string; at: number }> = [];
    const turnedOffAt = new Map<string, number>();
    const onPlaced = (event: { address: string; parent: string }) =>
      placements.push({ ...event, at: clock() - failedAt });
    const onTurnedOff = (event: { addresses: string[] }) => {
      for (const address of event.addresses) turnedOffAt.set(address, clock() - failedAt);
    };
    network.root.on('placed', onPlaced);
    network.root.on('turned-off', onTurnedOff);
    victimHost.signal(mode === 'crash' ? 'SIGKILL' : 'SIGSTOP');
    const reattachedAt = await network.until(
      'every orphaned peer re-attached',
      () =>
        live.every((peer) => network.mirror.parentOf(peer) !== victim) && network.attached(live),
      20_000,
    );
    const [deliveredAt, messagesTried] = await deliverToAll(network, 10);

    const placedSoFar = placementCount();
    await sleep(AFTERMATH_MS);
    const laterPlacements = placementCount() - placedSoFar;
    const [finalAt] = await deliverToAll(network, 5);
    victimHost.signal('SIGKILL');
    network.root.off('placed', onPlaced);
    network.root.off('turned-off', onTurnedOff);
    const recovering = placements.filter((p) => p.at <= reattachedAt - failedAt);
    return {
      size,
      layout: workers === 0 ? 'single' : 'spread',
      mode,
      round,
      subtree,
      reattachedMs: reattachedAt - failedAt,
      deliveredMs: deliveredAt - failedAt,
      messagesTried,
      placements: recovering.length,
      placedUnderFailed: recovering.filter((p) => p.parent === victim).length,
      placedUnderTurnedOff: recovering.filter(
        (p) => p.parent !== victim && (turnedOffAt.get(p.parent) ?? -1) > p.at,
      ).length,
      placedUnderMoving: recovering.filter((p) =>
        recovering.some((q) => q.address === p.parent && q.at > p.at),
      ).length,
      lastPlacementMs: Math.max(0, ...recovering.map((p) => p.at)),
      laterPlacements,
      finalDelivered: Number.isFinite(finalAt),
    };
  } finally {
    await network.close();
  }
}
