import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTimings } from '@p2p/peer';
import { clock, sleep } from '../clock.js';
import type { Host } from '../host.js';
import { Network } from '../network.js';
import type { RecoveryResult } from '../results.js';

type Profile = 'fast' | 'reference';

/**
 * How long after recovery late placements are watched for: a second wave (nodes below the orphans
 * whose hellos went unanswered) comes one peer timeout later, so watch past it.
 */
function aftermathMs(profile: Profile): number {
  const t = resolveTimings(profile);
  return Math.max(3_000, t.peerTimeout + 2 * t.helloInterval);
}

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

/** The time `check` first held, polled every 5 ms (the root's graph changes without events); NaN after `timeoutMs`. */
async function pollUntil(check: () => boolean, timeoutMs: number): Promise<number> {
  const end = clock() + timeoutMs;
  while (clock() < end) {
    if (check()) return clock();
    await sleep(5);
  }
  return Number.NaN;
}

/** Counts what the root does from now on: placements (with time and parent), nodes turned off, re-attachments by hello. */
function watchRoot(network: Network, since: number) {
  const placements: Array<{ address: string; parent: string; at: number }> = [];
  const turnedOffAt = new Map<string, number>();
  let turnedOff = 0;
  let reattached = 0;
  const onPlaced = (event: { address: string; parent: string }) =>
    placements.push({ ...event, at: clock() - since });
  const onTurnedOff = (event: { addresses: string[] }) => {
    turnedOff += event.addresses.length;
    for (const address of event.addresses) turnedOffAt.set(address, clock() - since);
  };
  const onReattached = (event: { addresses: string[] }) => {
    reattached += event.addresses.length;
  };
  const root = network.root;
  root.on('placed', onPlaced);
  root.on('turned-off', onTurnedOff);
  root.on('reattached', onReattached);
  return {
    placements,
    turnedOffAt,
    counts: () => ({ turnedOff, reattached }),
    stop: () => {
      root.off('placed', onPlaced);
      root.off('turned-off', onTurnedOff);
      root.off('reattached', onReattached);
    },
  };
}

/**
 * Scenario 4: a tree of `size` peers in which one interior peer, whose subtree holds about a
 * quarter of the tree, runs in a process of its own. That process is SIGKILLed (`crash`: its
 * sockets close, neighbours notice at once) or SIGSTOPped (`silent`: its sockets stay open and
 * nothing answers, so only the reunion timeouts can tell). Timed from the signal until every
 * live peer is attached again where the root's graph has it, and until a new message from the
 * root reaches every live peer; then the aftermath (past a peer timeout) is watched for late
 * placements. Goals: placements = the orphans, nodes turned off = 1.
 *
 * The victim is the third peer placed: breadth-first placement puts it under the root's first
 * child, at depth 2, where its subtree is a quarter of a full tree.
 */
export async function recovery(
  size: number,
  workers: number,
  mode: 'crash' | 'silent',
  round: number,
  profile: Profile = 'fast',
): Promise<RecoveryResult> {
  const timings = resolveTimings(profile);
  const network = await Network.create({ size, workers, window: 1, timings: profile });
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
    await sleep(Math.max(500, 2 * timings.helloInterval));
    const graph = network.root.node.registry.graph;
    const subtree = graph.subtreeOf(victim).length;
    const orphans = graph.childrenOf(victim).length;
    const live = network.peers.filter((peer) => peer !== victim);
    const placementCount = () => network.root.node.rootCounters.placements;

    network.retire(victimHost);
    const failedAt = clock();
    const watch = watchRoot(network, failedAt);
    victimHost.signal(mode === 'crash' ? 'SIGKILL' : 'SIGSTOP');
    const reattachedAt = await network.until(
      'every orphaned peer re-attached',
      () =>
        live.every((peer) => network.mirror.parentOf(peer) !== victim) && network.attached(live),
      20_000 + timings.rootTimeout + timings.peerTimeout,
    );
    const [deliveredAt, messagesTried] = await deliverToAll(network, 10);

    const placedSoFar = placementCount();
    const aftermath = aftermathMs(profile);
    await sleep(aftermath);
    const laterPlacements = placementCount() - placedSoFar;
    const [finalAt] = await deliverToAll(network, 5);
    victimHost.signal('SIGKILL');
    watch.stop();
    const { placements, turnedOffAt } = watch;
    const recovering = placements.filter((p) => p.at <= reattachedAt - failedAt);
    return {
      size,
      layout: workers === 0 ? 'single' : 'spread',
      mode,
      timings: profile,
      round,
      subtree,
      orphans,
      placementsAfter: placements.length,
      turnedOff: watch.counts().turnedOff,
      reattachedByHello: watch.counts().reattached,
      aftermathMs: aftermath,
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

/**
 * The root restarted on its store: a tree of `size` peers; the root is stopped with some hellos
 * in flight and started again on the same address and SQLite file after one hello interval.
 * Measures the time from the new root's start until it has heard from every peer (a hello
 * through each answered), and counts placements (goal: 0 beyond the root's own children) and
 * nodes turned off (goal: 0) until a peer timeout after that.
 */
export async function restart(
  size: number,
  workers: number,
  round: number,
  profile: Profile = 'fast',
): Promise<RecoveryResult> {
  const timings = resolveTimings(profile);
  const dir = mkdtempSync(join(tmpdir(), 'p2p-bench-restart-'));
  const network = await Network.create({
    size,
    workers,
    window: 1,
    timings: profile,
    store: join(dir, 'root.db'),
  });
  try {
    await network.startSpread(size);
    await network.until(
      `${size} peers attached`,
      () => network.peers.length === size && network.attached(network.peers),
      30_000 + 30 * size,
    );
    await sleep(Math.max(500, 2 * timings.helloInterval));
    const orphans = network.root.node.registry.graph.childrenOf(network.root.address).length;
    const { root, startedAt } = await network.restartRoot(timings.helloInterval);
    const watch = watchRoot(network, startedAt);
    const graph = root.node.registry.graph;
    // Restored nodes are heard from at the start (their grace period): wait for newer news.
    const restoredAt = Math.min(...network.peers.map((peer) => graph.lastSeenOf(peer) ?? 0));
    const heardAt = await pollUntil(
      () => network.peers.every((peer) => (graph.lastSeenOf(peer) ?? 0) > restoredAt),
      20_000 + timings.peerTimeout,
    );
    const aftermath = aftermathMs(profile);
    await sleep(aftermath);
    watch.stop();
    return {
      size,
      layout: workers === 0 ? 'single' : 'spread',
      mode: 'restart',
      timings: profile,
      round,
      subtree: 0,
      orphans,
      placementsAfter: watch.placements.length,
      turnedOff: watch.counts().turnedOff,
      reattachedByHello: watch.counts().reattached,
      aftermathMs: aftermath,
      reattachedMs: heardAt - startedAt,
      deliveredMs: Number.NaN,
      messagesTried: 0,
      placements: watch.placements.length,
      placedUnderFailed: 0,
      placedUnderTurnedOff: 0,
      placedUnderMoving: 0,
      lastPlacementMs: Math.max(0, ...watch.placements.map((p) => p.at)),
      laterPlacements: 0,
      finalDelivered: network.attached(network.peers),
    };
  } finally {
    await network.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
