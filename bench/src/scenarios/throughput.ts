import type { Flood } from '../flood.js';

export interface ThroughputRun {
  messages: number;
  deliveries: number;
  ms: number;
  /** Deliveries per second until every node had every message (or the flood stalled). */
  perSecond: number;
  missing: number;
  duplicates: number;
  /** Broadcasts for which a neighbour could not be reached (queue full, failure). */
  failedBroadcasts: number;
  /** Of the packets every node sent during the run: Messages (plain or identified), and Reunion hellos and hello backs. */
  messagePackets: number;
  heartbeatPackets: number;
  /**
   * CPU time of this process (user and system) from the first send until the run settled, in ms:
   * with every node in this process, deliveries per CPU-second compare builds on a loaded machine,
   * where wall time also counts the time other jobs hold the cores.
   */
  cpuMs: number;
}

/**
 * Broadcasts not yet acknowledged by every neighbour that the origin may have: half the
 * transport's per-connection queue limit (1,024), leaving room for the hello backs that share
 * the root's connections to its children.
 */
export const OUTSTANDING = 512;

/**
 * Scenario 3: `messages` messages of 100 bytes from the root as fast as the API accepts them;
 * deliveries per second from the first send until every node has every message. A flood that
 * makes no progress for `stallMs` is over: what did not arrive is counted missing.
 */
export async function throughput(
  flood: Flood,
  messages: number,
  stallMs: number,
): Promise<ThroughputRun> {
  const run = await flood.begin(flood.origin('root'), messages);
  const before = await flood.traffic?.();
  const cpu = process.cpuUsage();
  const burst = await run.burst(OUTSTANDING);
  await run.watch.settle(stallMs, 600_000);
  const used = process.cpuUsage(cpu);
  const summary = await run.summary();
  const after = await flood.traffic?.();
  const sent = (kind: string): number => (after?.[kind] ?? 0) - (before?.[kind] ?? 0);
  const ms = summary.lastAt - burst.firstAt;
  return {
    messages,
    deliveries: summary.delivered,
    ms,
    perSecond: (summary.delivered * 1000) / ms,
    missing: summary.missing,
    duplicates: summary.duplicates,
    failedBroadcasts: burst.failed,
    // Plain Messages, and Identified Messages between nodes running the lossless extension.
    messagePackets:
      after === undefined ? summary.delivered : sent('message') + sent('identified-message'),
    heartbeatPackets: sent('reunion-hello') + sent('reunion-hello-back'),
    cpuMs: (used.user + used.system) / 1000,
  };
}
