import type { NodeMode } from './node-mode.js';
import type { TrackSpec, TrackSummary } from './tracker.js';

/** A change in one node's view of the tree, timed on the shared clock. */
export type StateEvent =
  | { type: 'registered'; address: string; at: number }
  | { type: 'parent'; address: string; parent: string | null; at: number }
  | { type: 'child-added' | 'child-removed'; address: string; child: string; at: number };

/** How the peers of a host are started. */
export interface PeerStartOptions {
  root: string;
  /** The IP the peers listen on: 127.0.0.1, or the address of the host they run on (`--hosts`). */
  host: string;
  count: number;
  mode: NodeMode;
  timings: 'fast' | 'reference';
}

/** Memory of a process after a full garbage collection, in bytes. */
export interface MemorySample {
  heapUsed: number;
  rss: number;
  /** False when the process was started without --expose-gc (figures include garbage). */
  collected: boolean;
}

/** Sending messages as fast as the API takes them: when the first and last were handed over. */
export interface BurstResult {
  firstAt: number;
  lastAt: number;
  /** Broadcasts that reported a neighbour they could not reach. */
  failed: number;
}

/** Packets sent so far by the nodes of a host, by kind (Message, Reunion hello…), plus send failures. */
export type Traffic = Record<string, number>;

/** Requests the main process makes of a host (in-process or a worker), one per call. */
export type HostRequest =
  | { op: 'start'; options: PeerStartOptions }
  | { op: 'track'; spec: TrackSpec }
  | { op: 'broadcast'; origin: string; run: number; seq: number }
  | { op: 'burst'; origin: string; run: number; messages: number; outstanding: number }
  | { op: 'summary' }
  | { op: 'traffic' }
  | { op: 'memory' }
  | { op: 'close' };

/** What a worker sends back, unasked: batched state changes and completed messages. */
export type HostNotice =
  | { notice: 'state'; events: StateEvent[] }
  | { notice: 'complete'; run: number; seqs: number[]; ats: number[] };

export type HostAnswer =
  | string[]
  | number
  | BurstResult
  | TrackSummary
  | MemorySample
  | Traffic
  | null;

/** IPC envelopes between the main process and a worker. */
export type ToWorker = { id: number; request: HostRequest };
export type FromWorker =
  | { id: number; answer: HostAnswer }
  | { id: number; error: string }
  | HostNotice
  | { ready: true };
