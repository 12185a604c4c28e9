import { count, kb, ms, rate, table, times } from './format.js';
import { modeName } from './node-mode.js';
import type { Layout, Results } from './results.js';
import { median, ratio } from './stats.js';

/** Groups rows by a key, keeping the order in which keys first appear. */
function groups<T>(rows: readonly T[], key: (row: T) => string): T[][] {
  const map = new Map<string, T[]>();
  for (const row of rows) {
    const k = key(row);
    map.set(k, [...(map.get(k) ?? []), row]);
  }
  return [...map.values()];
}

function layoutName(layout: Layout, workers?: number): string {
  if (layout === 'single') return 'one process';
  const n = workers === undefined ? '' : `${workers} `;
  return layout === 'hosts' ? `${n}hosts` : `${n}workers`;
}

const med = <T>(rows: readonly T[], pick: (row: T) => number): number => median(rows.map(pick));

function formation(results: Results): string {
  const rows = groups(results.formation, (r) => `${r.size}/${r.layout}`).map((g) => {
    const first = g[0] as (typeof g)[number];
    const ours = med(g, (r) => r.ms);
    const raw = med(g, (r) => r.rawMs);
    return [
      String(first.size),
      layoutName(first.layout, first.workers),
      ms(ours),
      ms(raw),
      times(ratio(ours, raw)),
      String(first.depth),
      count(med(g, (r) => r.placements)),
      count(med(g, (r) => r.openFiles)),
      String(g.length),
    ];
  });
  return table(
    [
      'peers',
      'layout',
      'formed in',
      'raw tree connected in',
      'ratio',
      'depth',
      'placements',
      'open files',
      'rounds',
    ],
    rows,
  );
}

function memory(results: Results): string {
  const rows = groups(results.memory, (r) => String(r.size)).map((g) => {
    const heap = med(g, (r) => r.heapPerPeer);
    const raw = med(g, (r) => r.rawHeapPerNode);
    const first = g[0] as (typeof g)[number];
    return [
      String(first.size),
      first.lossless ? 'lossless' : 'v1',
      kb(heap),
      kb(med(g, (r) => r.rssPerPeer)),
      kb(raw),
      times(ratio(heap, raw)),
      count(first.trafficMessages),
      kb(med(g, (r) => r.heapPerPeerAfterTraffic)),
      kb(med(g, (r) => r.rssPerPeerAfterTraffic)),
      g.every((r) => r.collected) ? 'yes' : 'no (run with --expose-gc)',
    ];
  });
  return table(
    [
      'peers',
      'mode',
      'heap per peer',
      'RSS per peer',
      'raw heap per node',
      'ratio',
      'then a burst of',
      'heap per peer after it',
      'RSS per peer after it',
      'after full GC',
    ],
    rows,
  );
}

function latency(results: Results): string {
  const rows = groups(
    results.latency.filter((r) => r.impl === 'ours'),
    (r) => `${r.size}/${r.layout}/${r.lossless}/${r.origin}`,
  ).map((g) => {
    const first = g[0] as (typeof g)[number];
    const raw = results.latency.filter(
      (r) =>
        r.impl === 'raw' &&
        r.size === first.size &&
        r.layout === first.layout &&
        r.origin === first.origin,
    );
    const p50 = med(g, (r) => r.p50);
    const p99 = med(g, (r) => r.p99);
    const raw50 = med(raw, (r) => r.p50);
    const raw99 = med(raw, (r) => r.p99);
    return [
      String(first.size),
      layoutName(first.layout),
      first.lossless ? 'lossless' : 'v1',
      first.origin,
      ms(p50),
      ms(p99),
      ms(raw50),
      ms(raw99),
      times(ratio(p50, raw50)),
      times(ratio(p99, raw99)),
      String(g.reduce((sum, r) => sum + r.lost, 0)),
    ];
  });
  return table(
    [
      'peers',
      'layout',
      'mode',
      'from',
      'p50',
      'p99',
      'raw p50',
      'raw p99',
      'p50 ratio',
      'p99 ratio',
      'lost',
    ],
    rows,
  );
}

function throughput(results: Results): string {
  const ours = results.throughput.filter((r) => r.impl === 'ours');
  const rows = groups(ours, (r) => `${r.size}/${r.layout}/${r.lossless}/${r.window}`).map((g) => {
    const first = g[0] as (typeof g)[number];
    const same = (r: (typeof g)[number], window: number, impl: string) =>
      r.impl === impl && r.size === first.size && r.layout === first.layout && r.window === window;
    const rate0 = med(g, (r) => r.perSecond);
    const raws = results.throughput.filter((r) => same(r, first.window, 'raw'));
    const raw = med(raws, (r) => r.perSecond);
    const lockStep = med(
      ours.filter((r) => same(r, 1, 'ours') && !r.lossless),
      (r) => r.perSecond,
    );
    return [
      String(first.size),
      layoutName(first.layout),
      modeName(first),
      String(first.window),
      rate(rate0),
      `${rate(raw)}${raws.some((r) => r.batched) ? ' (batched writes)' : ''}`,
      times(ratio(rate0, raw)),
      times(ratio(rate0, lockStep)),
      `${(100 * med(g, (r) => r.heartbeatPackets / (r.heartbeatPackets + r.messagePackets)) || 0).toFixed(0)}%`,
      count(g.reduce((sum, r) => sum + r.missing, 0)),
      count(g.reduce((sum, r) => sum + r.duplicates, 0)),
    ];
  });
  return table(
    [
      'peers',
      'layout',
      'mode',
      'window',
      'deliveries',
      'raw, same window',
      'ratio',
      'vs our v1 lock-step',
      'heartbeat packets',
      'lost',
      'duplicates',
    ],
    rows,
  );
}

function recovery(results: Results): string {
  const key = (r: Results['recovery'][number]) =>
    `${r.size}/${r.layout}/${r.timings}/${r.lossless}/${r.mode}`;
  const rows = groups(results.recovery, key).map((g) => {
    const first = g[0] as (typeof g)[number];
    const restart = first.mode === 'restart';
    return [
      String(first.size),
      layoutName(first.layout),
      first.timings,
      first.lossless ? 'lossless' : 'v1',
      restart ? 'root restart' : first.mode === 'crash' ? 'crash (SIGKILL)' : 'silent (SIGSTOP)',
      restart ? '-' : String(first.subtree),
      String(first.orphans),
      g.map((r) => r.placementsAfter).join(', '),
      g.map((r) => r.turnedOff).join(', '),
      g.map((r) => r.reattachedByHello).join(', '),
      ms(med(g, (r) => r.reattachedMs)),
      restart ? '-' : ms(med(g, (r) => r.deliveredMs)),
      g.every((r) => r.finalDelivered) ? 'yes' : 'NO',
      restart ? '-' : g.map((r) => `${r.deliveredFromCut}/${r.sentDuringCut}`).join(', '),
      restart ? '-' : ms(med(g, (r) => r.repairedMs)),
    ];
  });
  return table(
    [
      'peers',
      'layout',
      'timings',
      'mode',
      'failure',
      'subtree',
      'orphans (restart: root children)',
      'placements after (goal: orphans; restart 0)',
      'turned off (goal: 1; restart 0)',
      're-attached by a hello',
      're-attached (restart: every peer heard from)',
      'new message at every live peer',
      'all reached after',
      'sent during the cut (root, every 10 ms): reached everyone / sent',
      'the last of them everywhere, after the failure',
    ],
    rows,
  );
}

function root(results: Results): string {
  const rows = groups(results.rootCapacity, (r) => String(r.window)).map((g) => {
    const first = g[0] as (typeof g)[number];
    const hellos = med(g, (r) => r.hellosPerSecond);
    const raw = med(g, (r) => r.rawHellosPerSecond);
    return [
      String(first.window),
      String(first.nodes),
      first.meanPathLength.toFixed(1),
      rate(hellos),
      rate(raw),
      times(ratio(hellos, raw)),
      times(hellos / 50_000),
      `${(med(g, (r) => r.rootCpu) * 100).toFixed(0)}%`,
      rate(med(g, (r) => r.placementsPerSecond)),
      rate(med(g, (r) => r.firstPlacementsPerSecond)),
      rate(med(g, (r) => r.registerPerSecond)),
      String(g.reduce((sum, r) => sum + r.rootDrops, 0)),
    ];
  });
  return table(
    [
      'root window',
      'nodes',
      'mean path',
      'hellos answered',
      'raw root, same window',
      'ratio',
      'ratio to 50k/s',
      'root CPU',
      're-placements',
      'first placements',
      'registrations',
      'drops',
    ],
    rows,
  );
}

/** Every table of the run, medians over rounds, with ratios to the raw reference. */
export function summary(results: Results): string {
  const parts: string[] = [];
  if (results.formation.length > 0) parts.push('### Formation', formation(results));
  if (results.memory.length > 0)
    parts.push('### Memory after formation and after a burst', memory(results));
  if (results.latency.length > 0) parts.push('### Broadcast latency', latency(results));
  if (results.throughput.length > 0) parts.push('### Throughput', throughput(results));
  if (results.recovery.length > 0) parts.push('### Recovery', recovery(results));
  if (results.rootCapacity.length > 0) parts.push('### Root capacity', root(results));
  return parts.join('\n\n');
}
