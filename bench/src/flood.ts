import type { BurstResult, Traffic } from './host-protocol.js';
import type { RunWatch } from './run-watch.js';
import type { TrackSummary } from './tracker.js';

/** Where a broadcast starts: the root, or a leaf at the greatest depth. */
export type OriginKind = 'root' | 'leaf';

/** Something that floods messages over a tree: our network, or the raw node:net reference. */
export interface Flood {
  /** The address (or name) of the node a broadcast of this kind starts from. */
  origin(kind: OriginKind): string;
  /** Prepares a run of `messages` messages from `origin`: every other node counts them. */
  begin(origin: string, messages: number): Promise<FloodRun>;
  /** Packets every node has sent so far, by kind (the raw flood sends nothing but Messages). */
  traffic?(): Promise<Traffic>;
}

export interface FloodRun {
  readonly watch: RunWatch;
  /** Originates message `seq`; resolves with the clock time it was handed over. */
  send(seq: number): Promise<number>;
  /** Originates every message as fast as accepted, at most `outstanding` unacknowledged. */
  burst(outstanding: number): Promise<BurstResult>;
  /** Deliveries, duplicates and losses over every receiver. */
  summary(): Promise<TrackSummary>;
}
