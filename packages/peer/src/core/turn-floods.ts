import type { Address, OutgoingFrame } from '@p2p/codec';
import type { Logger } from '@p2p/stream';
import { PeerError } from '../errors.js';
import type { NodeCounters } from '../events.js';
import type { Transport, TransportError, TransportFloodReport } from '../transport.js';
import { addToBroadcast, countSendFailures } from './flood-reports.js';
import type { BroadcastResult } from './flooding.js';
import type { TurnClock } from './turn-clock.js';
import { TurnFrames } from './turn-frames.js';

/** A frame of the current turn and the neighbours it goes to (reused: see `#spareGroups`). */
export interface FloodGroup {
  frame: OutgoingFrame | undefined;
  targets: string[];
  kind: 'message' | 'identified-message';
}

/** A broadcast's share of a turn: each flood counted as handed out, then its report. */
interface BroadcastTally {
  collect: (report: TransportFloodReport) => void;
  counted: () => void;
}

/** Groups kept for the next turns; a turn rarely floods more frames than this. */
const SPARE_GROUPS = 8;

export interface TurnFloodsOptions {
  self: Address;
  counters: NodeCounters;
  transport: Transport;
  /** Held for each turn: one reading of the time per turn. */
  clock: TurnClock;
  logger: Logger;
}

/**
 * The sends of one turn (a call into `Lossless`: one received packet, one origination…) gathered
 * and handed out once it is done: one flood per frame, in order, and the failures of each flood
 * counted and logged from its one report.
 */
export class TurnFloods {
  /** The frames built this turn, forgotten when it ends. */
  readonly frames: TurnFrames;
  readonly #counters: NodeCounters;
  readonly #transport: Transport;
  readonly #clock: TurnClock;
  readonly #logger: Logger;
  /** Whether the current turn took the clock's reading (else an outer call holds it). */
  #heldByTurn = false;
  /**
   * Frames to flood at the end of the current turn, each with its targets, in order; undefined
   * between turns. Every received Message is a turn: nothing here is a Map, and the array is
   * reused, so a turn costs few allocations (in one process of many nodes, what each Message
   * allocates decides how often the young generation is collected, and so how much of what is
   * in flight survives into the old one).
   */
  #batch: FloodGroup[] | undefined;
  #spareBatch: FloodGroup[] | undefined = [];
  /**
   * Groups of ended turns, emptied, for the next ones: a group and its targets array per frame
   * and turn would be a few allocations per Message. The transport reads the targets during
   * `flood` and keeps nothing of them.
   */
  readonly #spareGroups: FloodGroup[] = [];
  /** Sends refused this turn because a hold was full (see `holdFull`); made when one is. */
  #refused: TransportError[] | undefined;

  constructor(options: TurnFloodsOptions) {
    this.frames = new TurnFrames(options.self);
    this.#counters = options.counters;
    this.#transport = options.transport;
    this.#clock = options.clock;
    this.#logger = options.logger;
  }

  /**
   * Runs `work` (a call into `Lossless`) gathering its sends, then floods them: one flood per
   * frame. Nested turns join the outer one.
   */
  run<T>(work: () => T, broadcast?: BroadcastTally): T {
    const turn = this.begin();
    try {
      return work();
    } finally {
      if (turn !== undefined) this.end(turn, broadcast);
    }
  }

  /**
   * Runs `work` (an origination) as a turn; resolves like `Flooding.broadcast`, once every flood
   * of the turn reported.
   */
  broadcast(work: () => void): Promise<BroadcastResult> {
    const result: BroadcastResult = { delivered: 0, failed: [] };
    return new Promise((resolve) => {
      let floods = 0;
      let done = false;
      const collect = (report: TransportFloodReport): void => {
        addToBroadcast(result, report);
        if (--floods === 0 && done) resolve(result);
      };
      this.run(work, { collect, counted: () => floods++ });
      done = true;
      if (floods === 0) resolve(result);
    });
  }

  /** Starts a turn: its batch, or undefined when a turn is on already (this one joins it). */
  begin(): FloodGroup[] | undefined {
    if (this.#batch !== undefined) return undefined;
    // The spare is taken: a turn started while this one floods gets an array of its own.
    const batch = this.#spareBatch ?? [];
    this.#spareBatch = undefined;
    this.#batch = batch;
    this.#heldByTurn = this.#clock.hold();
    return batch;
  }

  /** Ends the turn of `batch`: one flood per frame, in order. */
  end(batch: FloodGroup[], broadcast?: BroadcastTally): void {
    this.#batch = undefined;
    if (this.#heldByTurn) this.#clock.release();
    this.#heldByTurn = false;
    this.frames.clear();
    const report =
      broadcast === undefined
        ? this.#onFlooded
        : (flooded: TransportFloodReport) => {
            this.#onFlooded(flooded);
            broadcast.collect(flooded);
          };
    const refused = this.#refused;
    if (refused !== undefined) {
      this.#refused = undefined;
      broadcast?.counted();
      report({ targets: refused.length, acknowledged: 0, failures: refused });
    }
    const counters = this.#counters;
    for (const { frame, targets, kind } of batch) {
      counters.packetsOut[kind] += targets.length;
      broadcast?.counted();
      this.#transport.flood(targets, frame as OutgoingFrame, report);
    }
    // Emptied by pop: setting `length` is a call into the runtime, a pop is not.
    const spare = this.#spareGroups;
    for (let group = batch.pop(); group !== undefined; group = batch.pop()) {
      if (spare.length >= SPARE_GROUPS) continue;
      group.frame = undefined;
      const targets = group.targets;
      while (targets.length > 0) targets.pop();
      spare.push(group);
    }
    this.#spareBatch = batch;
  }

  /** Adds `to` to the targets of `frame` this turn. */
  add(frame: OutgoingFrame, to: string, kind: 'message' | 'identified-message'): void {
    const batch = this.#batch;
    if (batch === undefined) {
      // A send outside any turn, from a timer of the extension: the plain replay to a child whose
      // Digest did not come within a hello interval (ChildNegotiations), what waited for a parent
      // whose Digest did not come (ParentEdge), the answers to Digests deferred past their bound
      // (DeferredDigests). Each is flooded alone, in the order sent.
      this.run(() => this.add(frame, to, kind));
      return;
    }
    // Most turns flood one frame: the group is looked for from the end.
    for (let i = batch.length - 1; i >= 0; i--) {
      const group = batch[i] as FloodGroup;
      if (group.frame === frame) {
        group.targets.push(to);
        return;
      }
    }
    const group = this.#spareGroups.pop();
    if (group === undefined) {
      batch.push({ frame, targets: [to], kind });
      return;
    }
    group.frame = frame;
    group.kind = kind;
    group.targets.push(to);
    batch.push(group);
  }

  /**
   * A Message for `to` could not be held for its negotiation (the hold is at the send queue's
   * limits): a failed send of this turn, reported with its floods as a full queue's would be.
   */
  holdFull(to: string): void {
    if (this.#batch === undefined) {
      this.run(() => this.holdFull(to));
      return;
    }
    const error: TransportError = new PeerError(
      'ERR_PEER_HOLD_FULL',
      `the Messages held for ${to} while its edge is negotiated reach the send queue's limits; ` +
        'this one is not sent to it',
    );
    error.remote = to;
    this.#refused ??= [];
    this.#refused.push(error);
  }

  readonly #onFlooded = (report: TransportFloodReport): void => {
    countSendFailures(report, this.#counters, this.#logger);
  };
}
