import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveTimings } from '@p2p/peer';
import { clock, sleep } from '../clock.js';
import type { Host } from '../host.js';
import { Network } from '../network.js';
import type { NodeMode } from '../node-mode.js';
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

/** The root sends one message this often from the signal until the cut is healed and after… */
const CUT_SEND_EVERY_MS = 10;
/** …at least this many in all, this many after the cut healed, and at most this many. */
const CUT_MESSAGES = { min: 20, afterHealed: 5, max: 1_000 } as const;

/**
 * Sends a message from the root every {@link CUT_SEND_EVERY_MS} from the failure until a few
 * after `healed()`; then waits until each reached every live peer, or 3 s went by without one
 * (plain version 1 never repairs). Returns how many were sent before the cut healed and how many
 * of those arrived, when the last of them did, and when the first sent after healing did (the
 * time a new message reaches every live peer; with the extension it waits for the repair).
 */
async function acrossTheCut(network: Network, healed: () => boolean) {
  const run = await network.begin(network.root.address, CUT_MESSAGES.max);
  let sent = 0;
  let healedAt = -1;
  while (sent < CUT_MESSAGES.max) {
    if (healedAt < 0 && healed()) healedAt = sent;
    if (sent >= CUT_MESSAGES.min && healedAt >= 0 && sent - healedAt >= CUT_MESSAGES.afterHealed)
      break;
    void run.send(sent++);
    await sleep(CUT_SEND_EVERY_MS);
  }
  const during = healedAt < 0 ? sent : healedAt;
  let delivered = 0;
  let lastAt = Number.NaN;
  let firstAfterAt = Number.NaN;
  let firstAfter = -1;
  let deadline = clock() + 3_000;
  for (let seq = 0; seq < sent; seq++) {
    const at = await run.watch.whenComplete(seq, Math.max(0, deadline - clock()));
    if (at === undefined) continue;
    deadline = Math.max(deadline, clock() + 3_000);
    if (seq >= during) {
      if (firstAfter < 0) firstAfter = seq - during;
      firstAfterAt = Number.isNaN(firstAfterAt) ? at : Math.min(firstAfterAt, at);
      continue;
    }
    delivered++;
    lastAt = Number.isNaN(lastAt) ? at : Math.max(lastAt, at);
  }
  return { sent: during, delivered, lastAt, firstAfterAt, tried: firstAfter + 1 };
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
  profile: Profile,
  nodeMode: NodeMode,
): Promise<RecoveryResult> {
  const timings = resolveTimings(profile);
  const network = await Network.create({ size, workers, mode: nodeMode, timings: profile });
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
    let healed = false;
    const cut = acrossTheCut(network, () => healed);
    const reattachedAt = await network
      .until(
        'every orphaned peer re-attached',
        () =>
          live.every((peer) => network.mirror.parentOf(peer) !== victim) && network.attached(live),
        20_000 + timings.rootTimeout + timings.peerTimeout,
      )
      .finally(() => {
        healed = true;
      });
    const across = await cut;
    // A new message at every live peer: the first sent after the cut healed that did, or else one
    // of ten sent one at a time.
    const [deliveredAt, messagesTried] = Number.isNaN(across.firstAfterAt)
      ? await deliverToAll(network, 10)
      : [across.firstAfterAt, across.tried];

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
      lossless: nodeMode.lossless,
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
      sentDuringCut: across.sent,
      deliveredFromCut: across.delivered,
      repairedMs: across.lastAt - failedAt,
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
  profile: Profile,
  nodeMode: NodeMode,
): Promise<RecoveryResult> {
  const timings = resolveTimings(profile);
  const dir = mkdtempSync(join(tmpdir(), 'p2p-bench-restart-'));
  const network = await Network.create({
    size,
    workers,
    mode: nodeMode,
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
      lossless: nodeMode.lossless,
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
      sentDuringCut: 0,
      deliveredFromCut: 0,
      repairedMs: Number.NaN,
    };
  } finally {
    await network.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
