import type { Clock, LosslessStats, NodeCounters } from '@p2p/peer';
import { RateMeter } from './rate-meter.js';
import type { RootNode } from './root-node.js';

/** The root's numbers, read when asked: `/metrics` and `/api/stats` both show these. */
export interface RootStats {
  registered: number;
  alive: number;
  depth: number;
  placements: number;
  hellos: number;
  /** Reunion hellos answered per second over the last 10 s. */
  hellosPerSecond: number;
  /** Messages delivered or originated here per second over the last 10 s. */
  messagesPerSecond: number;
  turnedOff: { timeout: number; unreachable: number };
  /** Registrations forgotten after a long silence. */
  forgotten: number;
  /** Packets dropped, every reason together. */
  drops: number;
  counters: NodeCounters;
  /** The lossless extension's counters and cache, or null when it is turned off. */
  lossless: LosslessStats | null;
}

/** The dashboard's counters (`/api/stats`). */
export type DashboardStats = Pick<
  RootStats,
  'registered' | 'alive' | 'depth' | 'messagesPerSecond' | 'hellosPerSecond' | 'drops'
>;

/** The counters of `stats` that the dashboard shows. */
export function dashboardStats(stats: RootStats): DashboardStats {
  const { registered, alive, depth, messagesPerSecond, hellosPerSecond, drops } = stats;
  return { registered, alive, depth, messagesPerSecond, hellosPerSecond, drops };
}

/**
 * Reads a root node's {@link RootStats}: the one place both the metrics and the dashboard take
 * them from. Rates come from samples of the running totals, taken by {@link sample}.
 */
export class RootStatsReader {
  readonly #node: RootNode;
  readonly #hellos: RateMeter;
  readonly #messages: RateMeter;

  constructor(node: RootNode, clock: Clock) {
    this.#node = node;
    this.#hellos = new RateMeter(clock);
    this.#messages = new RateMeter(clock);
  }

  /** Samples the running totals (the service does it at every sweep) for the rates. */
  sample(): void {
    this.#hellos.sample(this.#node.rootCounters.hellos);
    this.#messages.sample(this.#messageTotal());
  }

  read(): RootStats {
    const graph = this.#node.registry.graph;
    const root = this.#node.rootCounters;
    const counters = this.#node.counters;
    return {
      registered: graph.size,
      alive: graph.aliveCount,
      depth: graph.maxDepth,
      placements: root.placements,
      hellos: root.hellos,
      hellosPerSecond: this.#hellos.perSecond(root.hellos),
      messagesPerSecond: this.#messages.perSecond(this.#messageTotal()),
      turnedOff: root.turnedOff,
      forgotten: root.forgotten,
      drops: Object.values(counters.dropped).reduce((a, b) => a + b, 0),
      counters,
      lossless: this.#node.losslessStats,
    };
  }

  #messageTotal(): number {
    const counters = this.#node.counters;
    return counters.messagesDelivered + counters.messagesOriginated;
  }
}
