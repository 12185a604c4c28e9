/** Everything a run measured; written as JSON by --json so that runs can be compared. */

import type { ThroughputRun } from './scenarios/throughput.js';

/** Every peer in this process, spread over worker processes, or over hosts (`--hosts`). */
export type Layout = 'single' | 'spread' | 'hosts';
export type Impl = 'ours' | 'raw';

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
}

export interface LatencyResult {
  size: number;
  layout: Layout;
  impl: Impl;
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
  window: number;
  round: number;
}

export interface RecoveryResult {
  size: number;
  layout: Layout;
  mode: 'crash' | 'silent';
  round: number;
  /** Nodes in the failed peer's subtree, itself included. */
  subtree: number;
  /** From the failure until every live peer is attached again where the root has it. */
  reattachedMs: number;
  /** From the failure until a new message from the root reached every live peer. */
  deliveredMs: number;
  /** Messages sent before one reached everybody. */
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
  /** Placements in the 3 s after recovery (late re-advertisements, e.g. lost hellos). */
  laterPlacements: number;
  /** A last message, after those 3 s, reached every live peer. */
  finalDelivered: boolean;
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
  options: Record<string, unknown>;
  formation: FormationResult[];
  memory: MemoryResult[];
  latency: LatencyResult[];
  throughput: ThroughputResult[];
  recovery: RecoveryResult[];
  rootCapacity: RootCapacityResult[];
  goals: GoalResult[];
}
