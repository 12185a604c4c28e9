import { clock, sleep } from '../clock.js';
import type { MemorySample } from '../host-protocol.js';
import type { BedLayout } from '../hosts-bed.js';
import { openFiles } from '../machine.js';
import { Network } from '../network.js';
import type { NodeMode } from '../node-mode.js';
import { memory } from '../peer-host.js';
import { RawFlood } from '../raw-flood.js';
import type { FormationResult, MemoryResult } from '../results.js';
import { throughput } from './throughput.js';

export interface Formed {
  network: Network;
  formation: FormationResult;
  memory: MemoryResult | undefined;
  /** The sample before the peers started (memory runs only), for {@link memoryAfterTraffic}. */
  memoryBefore: MemorySample | undefined;
}

/** The reference for formation and memory: a raw flood tree of the same size, started and closed. */
async function rawTree(size: number, measureMemory: boolean): Promise<[number, number]> {
  const before = measureMemory ? memory() : undefined;
  const start = clock();
  const raw = await RawFlood.start(size, 1);
  const ms = clock() - start;
  const heap =
    before === undefined ? Number.NaN : (memory().heapUsed - before.heapUsed) / (size + 1);
  await raw.close();
  return [ms, heap];
}

/**
 * Scenario 1 (and 6): starts a root and `size` peers at once (across the hosts of `bed` if given), and times until every peer is
 * registered, placed and joined, with the root's graph agreeing. With `measureMemory` (single
 * layout only), the heap and RSS of this process are sampled before the peers start and 300 ms
 * after formation, after a full GC. The raw flood's tree of the same size is started (and its
 * heap sampled) first, as the reference.
 */
export async function form(
  size: number,
  workers: number,
  mode: NodeMode,
  round: number,
  measureMemory: boolean,
  timings: 'fast' | 'reference' = 'fast',
  bed?: BedLayout,
): Promise<Formed> {
  const [rawMs, rawHeapPerNode] = await rawTree(size, measureMemory);
  const network = await Network.create({
    size,
    workers,
    mode,
    timings,
    ...(bed === undefined ? {} : { bed }),
  });
  try {
    const before = measureMemory ? memory() : undefined;
    const start = clock();
    await network.startSpread(size);
    const at = await network.until(
      `${size} peers attached`,
      () => network.peers.length === size && network.attached(network.peers),
      30_000 + 30 * size,
    );
    const graph = network.root.node.registry.graph;
    const counters = network.root.node.rootCounters;
    const formation: FormationResult = {
      size,
      layout: bed !== undefined ? 'hosts' : workers === 0 ? 'single' : 'spread',
      workers,
      round,
      ms: at - start,
      rawMs,
      depth: graph.maxDepth,
      openFiles: openFiles(),
      registrations: counters.registrations,
      placements: counters.placements,
    };
    let sample: MemoryResult | undefined;
    if (before !== undefined) {
      await sleep(300);
      const after = memory();
      sample = {
        size,
        round,
        heapPerPeer: (after.heapUsed - before.heapUsed) / size,
        rssPerPeer: (after.rss - before.rss) / size,
        rawHeapPerNode,
        collected: after.collected,
        lossless: mode.lossless,
        trafficMessages: 0,
        heapPerPeerAfterTraffic: Number.NaN,
        rssPerPeerAfterTraffic: Number.NaN,
      };
    }
    return { network, formation, memory: sample, memoryBefore: before };
  } catch (error) {
    await network.close();
    throw error;
  }
}

/**
 * Scenario 6, under traffic: `messages` Messages from the root as fast as the network takes them
 * (the throughput scenario's burst), then, 300 ms after the last delivery and a full GC, the heap
 * and RSS per peer again against the sample taken before the peers started. With the lossless
 * extension every node's cache and origin records are then as full as the burst makes them.
 */
export async function memoryAfterTraffic(formed: Formed, messages: number): Promise<void> {
  const sample = formed.memory;
  const before = formed.memoryBefore;
  if (sample === undefined || before === undefined) return;
  await throughput(formed.network, messages, 5_000);
  await sleep(300);
  const after = memory();
  sample.trafficMessages = messages;
  sample.heapPerPeerAfterTraffic = (after.heapUsed - before.heapUsed) / sample.size;
  sample.rssPerPeerAfterTraffic = (after.rss - before.rss) / sample.size;
}
