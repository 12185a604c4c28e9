import { Counter, Gauge, Registry } from 'prom-client';
import { collectProcessMetrics } from './process-metrics.js';
import type { RootStats } from './root-stats.js';

/**
 * Adds the role of a root that shares a PostgreSQL database: `p2p_root_leader` (1 leading, 0
 * standby) and `p2p_root_term` (the term it leads in, or the last it saw).
 */
export function addRoleMetrics(
  registry: Registry,
  read: () => { role: 'leader' | 'standby'; term: number },
): void {
  new Gauge({
    name: 'p2p_root_leader',
    help: '1 while this root leads its database, 0 while it is a standby',
    registers: [registry],
    collect() {
      this.set(read().role === 'leader' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'p2p_root_term',
    help: 'The term this root leads in (as a standby: the last it led in, 0 if none)',
    registers: [registry],
    collect() {
      this.set(read().term);
    },
  });
}

/** Sets a counter to a running total kept elsewhere (the node's own counters). */
function setTotal(counter: Counter<string>, value: number, labels?: Record<string, string>): void {
  if (labels === undefined) counter.inc(value);
  else counter.inc(labels, value);
}

/** A root's metrics: the registry to scrape, and what stops the process metrics' sampling. */
export interface RootMetrics {
  readonly registry: Registry;
  /** Stops sampling the event loop. Idempotent. */
  stop(): void;
}

/**
 * Prometheus metrics of one root (its own registry, so several roots can live in one process).
 * The root's values are read at scrape time: nothing is counted twice. Process metrics (CPU,
 * memory, event loop) are collected from the call on, so create the metrics when the root starts.
 */
export function createMetrics(read: () => RootStats): RootMetrics {
  const registry = new Registry();
  const processMetrics = collectProcessMetrics(registry);

  const gauge = (name: string, help: string, value: (s: RootStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value(read()));
      },
    });
  gauge('p2p_registered_nodes', 'Nodes registered with the root', (s) => s.registered);
  gauge('p2p_alive_nodes', 'Registered nodes in the tree and alive', (s) => s.alive);
  gauge('p2p_tree_depth', 'Depth of the deepest live node (root = 0)', (s) => s.depth);
  gauge(
    'p2p_reunion_hellos_per_second',
    'Reunion hellos answered per second, over the last 10 s',
    (s) => s.hellosPerSecond,
  );

  const total = (
    name: string,
    help: string,
    labelNames: string[],
    fill: (c: Counter<string>, s: RootStats) => void,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        fill(this, read());
      },
    });
  total('p2p_placements_total', 'Advertise requests answered with a new parent', [], (c, s) =>
    setTotal(c, s.placements),
  );
  total(
    'p2p_placements_kept_total',
    'Advertise requests answered with the parent the node already had',
    [],
    (c, s) => setTotal(c, s.kept),
  );
  total('p2p_reunion_hellos_total', 'Reunion hellos answered by the root', [], (c, s) =>
    setTotal(c, s.hellos),
  );
  total(
    'p2p_forgotten_registrations_total',
    'Registrations forgotten because the node was not heard from for --forget-after',
    [],
    (c, s) => setTotal(c, s.forgotten),
  );
  total('p2p_turned_off_total', 'Nodes turned off by the root, by cause', ['cause'], (c, s) => {
    setTotal(c, s.turnedOff.timeout, { cause: 'timeout' });
    setTotal(c, s.turnedOff.unreachable, { cause: 'unreachable' });
  });
  total(
    'p2p_dropped_packets_total',
    'Packets that decoded but were dropped, by reason',
    ['reason'],
    (c, s) => {
      for (const [reason, value] of Object.entries(s.counters.dropped))
        setTotal(c, value, { reason });
    },
  );
  total('p2p_packets_total', 'Packets by kind and direction', ['kind', 'direction'], (c, s) => {
    for (const [kind, value] of Object.entries(s.counters.packetsIn))
      setTotal(c, value, { kind, direction: 'in' });
    for (const [kind, value] of Object.entries(s.counters.packetsOut))
      setTotal(c, value, { kind, direction: 'out' });
  });
  total('p2p_messages_total', 'Messages seen by the root, by what happened', ['event'], (c, s) => {
    setTotal(c, s.counters.messagesOriginated, { event: 'originated' });
    setTotal(c, s.counters.messagesDelivered, { event: 'delivered' });
    setTotal(c, s.counters.messagesForwarded, { event: 'forwarded' });
  });
  total(
    'p2p_lossless_total',
    'Lossless extension at the root: duplicates dropped, sequence numbers skipped, Messages repaired in and out, Messages sent to the caches of fresh children, plain Messages given an identifier',
    ['event'],
    (c, s) => {
      if (s.lossless === null) return;
      const { duplicates, skipped, repairedIn, repairedOut, inheritedOut, gatewayed } = s.lossless;
      setTotal(c, duplicates, { event: 'duplicate' });
      setTotal(c, skipped, { event: 'skipped' });
      setTotal(c, repairedIn, { event: 'repaired-in' });
      setTotal(c, repairedOut, { event: 'repaired-out' });
      setTotal(c, inheritedOut, { event: 'inherited-out' });
      setTotal(c, gatewayed, { event: 'gatewayed' });
    },
  );
  return { registry, stop: processMetrics.stop };
}
