/** Everything a run measured; written as JSON by --json so that runs can be compared. */

import type { Options } from './args.js';
import type { ThroughputRun } from './scenarios/throughput.js';

/** Every peer in this process, spread over worker processes, or over hosts (`--hosts`). */
export type Layout = 'single' | 'spread' | 'hosts';
/** `raw-text`: the raw flood delivering each text to an application (see `RawDelivery`). */
export type Impl = 'ours' | 'raw' | 'raw-text';

export interface FormationResult {
  size: number;
  layout: Layout;
  workers: number;
  round: number;
  /** From the first Peer.start until every peer is registered, placed and joined. */
  ms: number;
  /** The reference: starting the raw flood's servers and connecting its tree, same size. */
  rawMs: number;
  depth: number;
  /** File descriptors open in this process once formed (Linux): every peer here, both ends. */
  openFiles: number;
  registrations: number;
  placements: number;
}

export interface MemoryResult {
  size: number;
  round: number;
  heapPerPeer: number;
  rssPerPeer: number;
  /** The reference: heap per node of the raw flood (a server and its sockets). */
  rawHeapPerNode: number;
  /** Whether a full GC ran before each sample (--expose-gc). */
  collected: boolean;
  /** The mode of the nodes (the first of --lossless): the lossless extension or plain version 1. */
  lossless: boolean;
  /** Messages of the burst sent from the root after formation, before the second sample. */
  trafficMessages: number;
  /** Heap and RSS per peer after that burst (caches filled), against the same sample before the peers. */
  heapPerPeerAfterTraffic: number;
  rssPerPeerAfterTraffic: number;
}

export interface LatencyResult {
  size: number;
  layout: Layout;
  impl: Impl;
  /** Ours: with the lossless extension (the default configuration) or plain version 1. */
  lossless: boolean;
  origin: 'root' | 'leaf';
  round: number;
  messages: number;
  p50: number;
  p99: number;
  max: number;
  /** Messages that did not reach every node within the timeout. */
  lost: number;
}

/** One throughput run (see {@link ThroughputRun} for the measured fields) and where it ran. */
export interface ThroughputResult extends ThroughputRun {
  size: number;
  layout: Layout;
  impl: Impl;
  /** Ours: with the lossless extension or plain version 1 (the raw flood: false). */
  lossless: boolean;
  /** Version 1 and raw: the send window; lossless: the window its edges negotiate. */
  window: number;
  /**
   * The raw flood: whether its writes are batched (one write per connection per event-loop turn,
   * the horizon row). Ours: always false (with a window, ours writes once per connection per turn anyway).
   */
  batched: boolean;
  round: number;
}

export interface RecoveryResult {
  size: number;
  layout: Layout;
  /** crash: SIGKILL of an interior peer; silent: SIGSTOP of it; restart: the root restarted on its store. */
  mode: 'crash' | 'silent' | 'restart';
  timings: 'fast' | 'reference';
  /** With the lossless extension (the default configuration) or plain version 1. */
  lossless: boolean;
  round: number;
  /** Nodes in the failed peer's subtree, itself included (0 for a root restart). */
  subtree: number;
  /** The failed node's children (the root's for a restart): the goal for placements. */
  orphans: number;
  /** Placements from the failure to the end of the aftermath (goal: the orphans at most; 0 for a restart). */
  placementsAfter: number;
  /** Nodes the root turned off in that time (goal: exactly one; none for a restart). */
  turnedOff: number;
  /** Nodes put back in the tree by a hello that proved their path, in that time. */
  reattachedByHello: number;
  /** How long the aftermath watched for late placements (a second wave comes a peer timeout later). */
  aftermathMs: number;
  /**
   * From the failure until every live peer is attached again where the root has it; for a
   * restart, from the new root's start until it heard from every peer (a hello through each
   * answered).
   */
  reattachedMs: number;
  /**
   * From the failure until a new message from the root reached every live peer: the first of
   * those sent every 10 ms after the cut healed that did (NaN: not measured).
   */
  deliveredMs: number;
  /** Messages sent after the cut healed until one reached everybody. */
  messagesTried: number;
  /**
   * Placements until re-attached; of them, under the failed peer, under nodes the root turned off
   * later, and under nodes that were placed again later (they were re-advertising themselves).
   */
  placements: number;
  placedUnderFailed: number;
  placedUnderTurnedOff: number;
  placedUnderMoving: number;
  /** When the last of those placements happened, after the failure. */
  lastPlacementMs: number;
  /** Placements in the aftermath after recovery (late re-advertisements, e.g. lost hellos). */
  laterPlacements: number;
  /** A last message, after those 3 s, reached every live peer. */
  finalDelivered: boolean;
  /**
   * Messages the root sent during the cut (one every 10 ms from the signal until every orphan
   * was re-attached; at least 20 were sent, the rest count as after), and how many of them
   * reached every live peer.
   */
  sentDuringCut: number;
  deliveredFromCut: number;
  /** From the signal until the last of those reached every live peer (NaN: none did). */
  repairedMs: number;
}

export interface RootCapacityResult {
  window: number;
  nodes: number;
  registerPerSecond: number;
  firstPlacementsPerSecond: number;
  hellosPerSecond: number;
  /** The reference: a raw root answering the same hellos with the same window (raw-root.ts). */
  rawHellosPerSecond: number;
  meanPathLength: number;
  placementsPerSecond: number;
  /** Hellos the root counted as answered during the hello phase, and packets it dropped in all. */
  rootHellos: number;
  rootDrops: number;
  /** CPU time of the root's process over wall time during the test (1 = one core). */
  rootCpu: number;
}

export interface GoalResult {
  goal: string;
  measured: string;
  ratio: string;
  met: boolean | null;
}

export interface Results {
  command: string;
  startedAt: string;
  machine: {
    /** The commit the packages were built from, and the package files changed since. */
    commit: string;
    uncommitted: string[];
    node: string;
    cpus: number;
    cpuModel: string;
    loadBefore: number[];
    loadAfter: number[];
    fdLimit: string;
  };
  options: Options;
  formation: FormationResult[];
  memory: MemoryResult[];
  latency: LatencyResult[];
  throughput: ThroughputResult[];
  recovery: RecoveryResult[];
  rootCapacity: RootCapacityResult[];
  goals: GoalResult[];
}
