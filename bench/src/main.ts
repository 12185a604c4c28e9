/**
 * `pnpm bench:net`: whole trees of real peers on 127.0.0.1, beside a raw node:net flood of the
 * same shape measured in the same run. See README.md.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { MEMORY_BURST, type Options, parseOptions, type Scenario, USAGE } from './args.js';
import { count, kb, ms, rate, table, times } from './format.js';
import { evaluateGoals } from './goals.js';
import { currentBed, runInBed } from './hosts-bed.js';
import { filesNeeded, machine } from './machine.js';
import type { Network } from './network.js';
import { defaultMode, lockStep, modeName, type NodeMode } from './node-mode.js';
import { RawFlood } from './raw-flood.js';
import { summary } from './report.js';
import type { Layout, Results } from './results.js';
import { form, memoryAfterTraffic } from './scenarios/formation.js';
import { latency } from './scenarios/latency.js';
import { recovery, restart } from './scenarios/recovery.js';
import { rootCapacity } from './scenarios/root-capacity.js';
import { throughput } from './scenarios/throughput.js';

const started = Date.now();
const log = (line: string): void => {
  console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
};

/** The share of heartbeat packets (Reunion hellos and backs) among the packets of a run. */
function share(run: { messagePackets: number; heartbeatPackets: number }): string {
  const total = run.messagePackets + run.heartbeatPackets;
  return total === 0 ? 'n/a' : `${((100 * run.heartbeatPackets) / total).toFixed(0)}%`;
}

/** How long a throughput run may make no progress before what is missing counts as lost. */
const STALL_MS = 5_000;

function wants(options: Options, scenario: Scenario, size: number): boolean {
  return options.scenarios.includes(scenario) && options.sizes[scenario].includes(size);
}

/** Latency and lock-step throughput on a formed network, each beside the raw flood. */
async function onFormed(
  options: Options,
  results: Results,
  network: Network,
  layout: Layout,
  round: number,
): Promise<void> {
  const size = network.options.size;
  const tag = `N=${size} ${layout}`;
  if (wants(options, 'latency', size)) {
    const raw = await RawFlood.start(size, 1);
    try {
      for (const origin of ['root', 'leaf'] as const) {
        const rawRun = await latency(raw, origin, options.latencyMessages, 20);
        const ours = await latency(network, origin, options.latencyMessages, 20);
        const lossless = network.options.mode.lossless;
        results.latency.push({
          size,
          layout,
          impl: 'raw',
          lossless: false,
          origin,
          round,
          ...rawRun,
        });
        results.latency.push({ size, layout, impl: 'ours', lossless, origin, round, ...ours });
        log(
          `latency    ${tag} ${modeName(network.options.mode)} from ${origin}: p50 ${ms(ours.p50)} p99 ${ms(ours.p99)}; raw p50 ${ms(rawRun.p50)} p99 ${ms(rawRun.p99)}; ratio ${times(ours.p50 / rawRun.p50)}${ours.lost + rawRun.lost > 0 ? `; lost ${ours.lost}/${rawRun.lost}` : ''}`,
        );
      }
    } finally {
      await raw.close();
    }
  }
  const { mode } = network.options;
  // Plain version 1 lock-step, or the extension's default configuration.
  if (wants(options, 'throughput', size) && (mode.lossless || options.windows.includes(1)))
    await throughputPair(options, results, network, layout, round);
}

/**
 * One throughput measurement of ours and of the raw flood with the same window; `batched`: the
 * raw flood writes once per connection and event-loop turn (the horizon row).
 */
async function throughputPair(
  options: Options,
  results: Results,
  network: Network,
  layout: Layout,
  round: number,
  batched = false,
): Promise<void> {
  const { size, mode } = network.options;
  const { window } = mode;
  const raw = await RawFlood.start(size, window, batched);
  try {
    const rawRun = await throughput(raw, options.throughputMessages, STALL_MS);
    const ours = await throughput(network, options.throughputMessages, STALL_MS);
    results.throughput.push({
      size,
      layout,
      impl: 'raw',
      lossless: false,
      window,
      batched,
      round,
      ...rawRun,
    });
    results.throughput.push({
      size,
      layout,
      impl: 'ours',
      lossless: mode.lossless,
      window,
      batched: false,
      round,
      ...ours,
    });
    log(
      `throughput N=${size} ${layout} ${modeName(mode)}: ${rate(ours.perSecond)} deliveries; raw${batched ? ' (batched writes)' : ''} ${rate(rawRun.perSecond)}; ratio ${times(ours.perSecond / rawRun.perSecond)}; per CPU-second ${rate((ours.deliveries * 1000) / ours.cpuMs)} vs ${rate((rawRun.deliveries * 1000) / rawRun.cpuMs)} (${times((ours.deliveries / ours.cpuMs) * (rawRun.cpuMs / rawRun.deliveries))}); heartbeat ${share(ours)} of packets${ours.missing + rawRun.missing > 0 ? `; lost ${ours.missing}/${rawRun.missing}` : ''}`,
    );
  } finally {
    await raw.close();
  }
  // Issue 16's version-1 goals are ratios to the raw flood, which hands no text to anyone: how
  // close a node that does can come is measured beside them.
  if (!batched && !mode.lossless) await rawTextRun(options, results, size, layout, window, round);
}

/** The raw flood delivering texts (`RawDelivery` 'text'), same window, after the pair above. */
async function rawTextRun(
  options: Options,
  results: Results,
  size: number,
  layout: Layout,
  window: number,
  round: number,
): Promise<void> {
  const raw = await RawFlood.start(size, window, false, 'text');
  try {
    const run = await throughput(raw, options.throughputMessages, STALL_MS);
    results.throughput.push({
      size,
      layout,
      impl: 'raw-text',
      lossless: false,
      window,
      batched: false,
      round,
      ...run,
    });
    log(
      `throughput N=${size} ${layout} raw window ${window} delivering texts: ${rate(run.perSecond)} deliveries${run.missing > 0 ? `; lost ${run.missing}` : ''}`,
    );
  } finally {
    await raw.close();
  }
}

async function runSize(options: Options, results: Results, size: number, round: number) {
  const bed = currentBed();
  const layouts: Layout[] =
    bed !== undefined
      ? ['hosts']
      : options.workers > 0 && size <= options.spreadUpTo
        ? ['single', 'spread']
        : ['single'];
  for (const layout of layouts) {
    const workers =
      bed !== undefined ? bed.hosts.length : layout === 'single' ? 0 : options.workers;
    const tag = `N=${size} ${layout}`;
    // One network per mode for latency and its throughput row; formation and memory on the first.
    for (const [i, lossless] of options.lossless.entries()) {
      const mode = lossless ? defaultMode : lockStep;
      const measureMemory = i === 0 && layout === 'single' && wants(options, 'memory', size);
      const needsNetwork =
        (i === 0 && (wants(options, 'formation', size) || measureMemory)) ||
        wants(options, 'latency', size) ||
        (wants(options, 'throughput', size) && (lossless || options.windows.includes(1)));
      if (!needsNetwork) continue;
      const formed = await form(size, workers, mode, round, measureMemory, options.timings, bed);
      try {
        if (i === 0 && wants(options, 'formation', size)) {
          results.formation.push(formed.formation);
          log(
            `formation  ${tag} ${modeName(mode)}: ${ms(formed.formation.ms)} (raw tree ${ms(formed.formation.rawMs)}, depth ${formed.formation.depth}, ${formed.formation.placements} placements, ${formed.formation.openFiles} open files)`,
          );
        }
        if (formed.memory !== undefined) {
          await memoryAfterTraffic(formed, MEMORY_BURST);
          results.memory.push(formed.memory);
          const m = formed.memory;
          log(
            `memory     ${tag} ${modeName(mode)}: heap ${kb(m.heapPerPeer)}/peer, RSS ${kb(m.rssPerPeer)}/peer (raw ${kb(m.rawHeapPerNode)}/node); after a burst of ${count(m.trafficMessages)} messages: heap ${kb(m.heapPerPeerAfterTraffic)}/peer, RSS ${kb(m.rssPerPeerAfterTraffic)}/peer`,
          );
        }
        await onFormed(options, results, formed.network, layout, round);
      } finally {
        await formed.network.close();
      }
    }
    if (wants(options, 'throughput', size)) {
      // The extension forced to lock-step (its cost), and plain version 1 with larger windows.
      // The extension forced to lock-step (its cost), plain version 1 with larger windows, and
      // the horizon: version 1 with the largest window beside the raw flood with batched writes.
      const v1 = options.lossless.includes(false);
      const others: { mode: NodeMode; batched: boolean }[] = [
        ...(options.lossless.includes(true)
          ? [{ mode: { lossless: true, window: 1 }, batched: false }]
          : []),
        ...(v1
          ? options.windows
              .filter((w) => w !== 1 && w !== options.horizon)
              .map((window) => ({ mode: { lossless: false, window }, batched: false }))
          : []),
        ...(v1 && options.horizon > 0
          ? [{ mode: { lossless: false, window: options.horizon }, batched: true }]
          : []),
      ];
      for (const { mode, batched } of others) {
        const formed = await form(size, workers, mode, round, false, options.timings);
        try {
          await throughputPair(options, results, formed.network, layout, round, batched);
        } finally {
          await formed.network.close();
        }
      }
    }
    if (wants(options, 'recovery', size)) {
      for (const lossless of options.lossless) {
        const nodes = lossless ? defaultMode : lockStep;
        for (const mode of ['crash', 'silent'] as const) {
          const r = await recovery(size, workers, mode, round, options.timings, nodes);
          results.recovery.push(r);
          log(
            `recovery   ${tag} ${options.timings} ${modeName(nodes)} ${mode}: ${r.deliveredFromCut} of ${r.sentDuringCut} messages sent during the cut reached everyone${Number.isNaN(r.repairedMs) ? '' : ` (the last ${ms(r.repairedMs)} after it)`}; subtree ${r.subtree}, re-attached ${ms(r.reattachedMs)}, delivering ${ms(r.deliveredMs)}; ${r.placementsAfter} placements for ${r.orphans} orphans (${r.placedUnderFailed} under the failed peer, ${r.placedUnderTurnedOff} under nodes turned off later, ${r.placedUnderMoving} under nodes re-placed later), ${r.turnedOff} turned off, ${r.reattachedByHello} re-attached by a hello${r.laterPlacements > 0 ? `, ${r.laterPlacements} placements in the ${ms(r.aftermathMs)} after` : ''}${r.finalDelivered ? '' : ', LAST MESSAGE DID NOT REACH EVERYONE'}`,
          );
        }
      }
      const first = options.lossless[0] ? defaultMode : lockStep;
      const r = await restart(size, workers, round, options.timings, first);
      results.recovery.push(r);
      log(
        `recovery   ${tag} ${options.timings} ${modeName(first)} restart: every peer heard from ${ms(r.reattachedMs)} after the new root started; ${r.placementsAfter} placements (root's children: ${r.orphans}), ${r.turnedOff} turned off, ${r.reattachedByHello} re-attached by a hello${r.finalDelivered ? '' : ', NOT EVERY PEER ATTACHED AT THE END'}`,
      );
    }
  }
}

async function main(): Promise<number> {
  let options: Options | undefined;
  try {
    options = parseOptions(process.argv.slice(2).filter((arg) => arg !== '--'));
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (options === undefined) {
    console.log(USAGE);
    return 0;
  }
  // Across hosts: this process builds the bed and runs the benchmark again inside it.
  if (options.hosts > 0 && currentBed() === undefined) return runInBed(options.hosts, log);
  const results: Results = {
    command: `pnpm bench:net ${process.argv.slice(2).join(' ')}`.trim(),
    startedAt: new Date(started).toISOString(),
    machine: machine(),
    options: { ...options },
    formation: [],
    memory: [],
    latency: [],
    throughput: [],
    recovery: [],
    rootCapacity: [],
    goals: [],
  };
  const { machine: m } = results;
  const largest = Math.max(...Object.values(options.sizes).flat(), 0);
  log(
    `Node ${m.node}, ${m.cpus} CPUs (${m.cpuModel}), load ${m.loadBefore.map((l) => l.toFixed(2)).join(' ')}, open-file limit ${m.fdLimit} (N=${largest} needs about ${filesNeeded(largest)})`,
  );
  if (Number(m.fdLimit) < filesNeeded(largest))
    log(
      `WARNING: the open-file limit ${m.fdLimit} is below the ${filesNeeded(largest)} that N=${largest} needs; raise it (ulimit -n) or use smaller --sizes`,
    );
  log(
    `packages at ${m.commit}${m.uncommitted.length > 0 ? ` with uncommitted changes in ${m.uncommitted.join(', ')}` : ''}`,
  );
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function')
    log('no --expose-gc: memory figures include garbage');
  log(
    `scenarios ${options.scenarios.join(', ')}; ${options.rounds} round(s); ${options.timings} timings`,
  );

  let failures = 0;
  const sizes = [...new Set(Object.values(options.sizes).flat())].sort((a, b) => a - b);
  for (let round = 1; round <= options.rounds; round++) {
    for (const size of sizes) {
      try {
        await runSize(options, results, size, round);
      } catch (error) {
        failures++;
        log(`N=${size} round ${round} failed: ${(error as Error).stack ?? error}`);
      }
    }
    if (options.scenarios.includes('root')) {
      for (const window of [1, 16]) {
        try {
          const r = await rootCapacity(window, options.helloNodes, options.rootMs);
          results.rootCapacity.push({ ...r });
          log(
            `root       window ${window}: ${rate(r.hellosPerSecond)} hellos answered (paths of ${r.meanPathLength.toFixed(1)}, root at ${(r.rootCpu * 100).toFixed(0)}% CPU; raw root ${rate(r.rawHellosPerSecond)}, ratio ${times(r.hellosPerSecond / r.rawHellosPerSecond)}), ${rate(r.placementsPerSecond)} re-placements, ${rate(r.firstPlacementsPerSecond)} first placements, ${rate(r.registerPerSecond)} registrations`,
          );
        } catch (error) {
          failures++;
          log(`root capacity window ${window} failed: ${(error as Error).stack ?? error}`);
        }
      }
    }
  }

  results.machine.loadAfter = os.loadavg();
  results.goals = evaluateGoals(results);
  console.log(`\n${summary(results)}\n\n### Goals\n`);
  console.log(
    table(
      ['goal', 'measured', 'ratio', 'met?'],
      results.goals.map((g) => [
        g.goal,
        g.measured,
        g.ratio,
        g.met === null ? '-' : g.met ? 'yes' : 'no',
      ]),
    ),
  );
  console.log(
    `\nload average ${results.machine.loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${results.machine.loadAfter.map((l) => l.toFixed(2)).join(' ')} after; ${((Date.now() - started) / 1000).toFixed(0)} s in all`,
  );
  if (options.json !== undefined) {
    writeFileSync(options.json, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${options.json}`);
  }
  return failures > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
