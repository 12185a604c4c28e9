import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type Counter, collectDefaultMetrics, Gauge, type Registry } from 'prom-client';

/** prom-client's event-loop histogram gauges, replaced by {@link eventLoopGauges}. */
const LAG_STATISTICS = {
  min: (h: Histogram) => h.min,
  max: (h: Histogram) => h.max,
  mean: (h: Histogram) => h.mean,
  stddev: (h: Histogram) => h.stddev,
  p50: (h: Histogram) => h.percentile(50),
  p90: (h: Histogram) => h.percentile(90),
  p99: (h: Histogram) => h.percentile(99),
} as const;
type Histogram = ReturnType<typeof monitorEventLoopDelay>;

/** Sampling period of the event-loop delay histogram (ms). */
const LAG_RESOLUTION = 20;

/**
 * Registers Node's process metrics (prom-client's defaults) in `registry`, counted from the start
 * of the process rather than from the first scrape, and returns what stops them.
 *
 * Two corrections to prom-client's defaults: the CPU counters start at the CPU the process has
 * already used (prom-client counts from the call), and the event-loop delay statistics keep the
 * figures of the last window that had samples (prom-client resets its histogram at every scrape,
 * so a scrape within one sampling period of start-up or of the previous scrape showed a minimum
 * of 9223372036 s and a mean of NaN).
 */
export function collectProcessMetrics(registry: Registry): { stop(): void } {
  const used = process.cpuUsage();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: LAG_RESOLUTION });
  const counter = (name: string) => registry.getSingleMetric(name) as Counter | undefined;
  counter('process_cpu_user_seconds_total')?.inc(used.user / 1e6);
  counter('process_cpu_system_seconds_total')?.inc(used.system / 1e6);
  counter('process_cpu_seconds_total')?.inc((used.user + used.system) / 1e6);

  for (const statistic of Object.keys(LAG_STATISTICS))
    registry.removeSingleMetric(`nodejs_eventloop_lag_${statistic}_seconds`);
  return eventLoopGauges(registry);
}

/** The event-loop delay statistics over the time since the last scrape that had samples. */
function eventLoopGauges(registry: Registry): { stop(): void } {
  const histogram = monitorEventLoopDelay({ resolution: LAG_RESOLUTION });
  histogram.enable();
  const gauges: Array<[read: (h: Histogram) => number, gauge: Gauge]> = [];
  // One collect sets them all: the first gauge is scraped first (order of registration).
  const update = () => {
    if (histogram.count === 0) return;
    for (const [read, gauge] of gauges) gauge.set(read(histogram) / 1e9);
    histogram.reset();
  };
  for (const [statistic, read] of Object.entries(LAG_STATISTICS)) {
    const gauge = new Gauge({
      name: `nodejs_eventloop_lag_${statistic}_seconds`,
      help: `The ${statistic} of the event loop delays recorded since the previous scrape.`,
      registers: [registry],
      ...(gauges.length === 0 ? { collect: update } : {}),
    });
    gauges.push([read, gauge]);
  }
  return { stop: () => histogram.disable() };
}
