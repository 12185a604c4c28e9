import { HORIZON_WINDOW } from './args.js';
import { count, kb, ms, rate, times } from './format.js';
import { NEGOTIATED_WINDOW } from './node-mode.js';
import type { GoalResult, Results } from './results.js';
import { median, ratio } from './stats.js';

const GOAL_SIZE = 255;
/** Issue 16: our p50 latency at most this many times the raw flood's. */
const LATENCY_GOAL = 1.2;

const notRun = (goal: string): GoalResult => ({ goal, measured: 'not run', ratio: '-', met: null });

function medianOf<T>(rows: readonly T[], pick: (row: T) => number): number {
  return median(rows.map(pick));
}

/**
 * The median over rounds of `ours / reference` taken in the same round (each round measures both
 * within a few seconds of each other, so a machine whose load changes from round to round moves
 * both alike); the ratio of the medians when no round has both.
 */
function roundRatio<T extends { round: number }>(
  ours: readonly T[],
  reference: readonly T[],
  value: (row: T) => number,
): number {
  const ratios: number[] = [];
  for (const row of ours) {
    const same = reference.find((r) => r.round === row.round);
    if (same !== undefined) ratios.push(ratio(value(row), value(same)));
  }
  return ratios.length > 0
    ? median(ratios)
    : ratio(median(ours.map(value)), median(reference.map(value)));
}

/**
 * The issues' goals (all nodes in one process), each with its figures (medians over rounds) and
 * its verdict on the median of the ratios taken round by round.
 */
export function evaluateGoals(results: Results): GoalResult[] {
  const goals: GoalResult[] = [];
  const single = <T extends { size: number; layout: string }>(rows: readonly T[], size: number) =>
    rows.filter((r) => r.size === size && r.layout === 'single');

  for (const lossless of [true, false]) {
    const goal = `broadcast latency at N = ${GOAL_SIZE} within ${LATENCY_GOAL}x of the raw lock-step flood (p50 from the root and from a leaf, ${lossless ? 'lossless' : 'v1'})`;
    const rows = single(results.latency, GOAL_SIZE);
    const parts: string[] = [];
    let worst = Number.NaN;
    for (const origin of ['root', 'leaf'] as const) {
      const oursRows = rows.filter(
        (r) => r.impl === 'ours' && r.lossless === lossless && r.origin === origin,
      );
      // Each is measured right after the raw flood from the same origin (main.ts): its pair.
      const rawRows = oursRows.map((r) => results.latency[results.latency.indexOf(r) - 1]);
      if (oursRows.length === 0 || rawRows.some((r) => r?.impl !== 'raw' || r.origin !== origin))
        continue;
      const ours = medianOf(oursRows, (r) => r.p50);
      const raw = medianOf(rawRows as typeof oursRows, (r) => r.p50);
      const r = roundRatio(oursRows, rawRows as typeof oursRows, (row) => row.p50);
      worst = Number.isNaN(worst) ? r : Math.max(worst, r);
      parts.push(`from ${origin} ${ms(ours)} vs ${ms(raw)} (${times(r)})`);
    }
    if (parts.length > 0)
      goals.push({
        goal,
        measured: parts.join('; '),
        ratio: times(worst),
        met: worst <= LATENCY_GOAL,
      });
  }
  if (goals.length === 0)
    goals.push(
      notRun(
        `broadcast latency at N = ${GOAL_SIZE} within ${LATENCY_GOAL}x of the raw lock-step flood (p50)`,
      ),
    );

  const tput = single(results.throughput, GOAL_SIZE);
  const tputRows = (impl: string, window: number, lossless = false, batched = false) =>
    tput.filter(
      (r) =>
        r.impl === impl &&
        r.window === window &&
        r.lossless === lossless &&
        (r.batched ?? false) === batched,
    );
  const tputOf = (impl: string, window: number, lossless = false, batched = false) =>
    medianOf(tputRows(impl, window, lossless, batched), (r) => r.perSecond);
  const tputRatio = (
    ours: Parameters<typeof tputRows>,
    reference: Parameters<typeof tputRows>,
  ): number => roundRatio(tputRows(...ours), tputRows(...reference), (r) => r.perSecond);
  // Issue 16: plain version 1 against the raw flood of the same run with the same window.
  const toRaw = (
    window: number,
    least: number,
    what: string,
    rawWhat: string,
    batched = false,
  ): void => {
    const goal = `throughput at N = ${GOAL_SIZE}, ${what}, at least ${least}x the ${rawWhat}`;
    const ours = tputOf('ours', window);
    const raw = tputOf('raw', window, false, batched);
    const r = tputRatio(['ours', window], ['raw', window, false, batched]);
    const perCpu = roundRatio(
      tputRows('ours', window),
      tputRows('raw', window, false, batched),
      (row) => row.deliveries / row.cpuMs,
    );
    // The raw flood that hands each text to an application: the ratio any such node could reach.
    const textRows = tputRows('raw-text', window);
    const ceiling =
      textRows.length === 0
        ? ''
        : `; the raw flood delivering texts ${rate(tputOf('raw-text', window))}, ${times(roundRatio(textRows, tputRows('raw', window, false, batched), (row) => row.perSecond))} of raw`;
    goals.push(
      Number.isFinite(ours) && Number.isFinite(raw)
        ? {
            goal,
            measured: `${rate(ours)} vs ${rate(raw)} deliveries; per CPU-second ${times(perCpu)}${ceiling}`,
            ratio: times(r),
            met: r >= least,
          }
        : notRun(goal),
    );
  };
  toRaw(1, 0.9, 'v1 lock-step', 'raw lock-step flood');
  toRaw(16, 0.85, 'v1 window 16', 'raw window-16 flood');
  const horizon = results.options.horizon;
  toRaw(
    horizon > 0 ? horizon : HORIZON_WINDOW,
    0.5,
    `our best configuration (v1, window ${count(horizon > 0 ? horizon : HORIZON_WINDOW)}: the largest we accept)`,
    'raw pipelined flood with batched writes (same window, one write per connection per event-loop turn)',
    true,
  );
  {
    const goal = `throughput at N = ${GOAL_SIZE}: the lossless extension forced to lock-step costs at most 10% of v1 lock-step`;
    const ours = tputOf('ours', 1, true);
    const lockStep = tputOf('ours', 1);
    goals.push(
      Number.isFinite(ours) && Number.isFinite(lockStep)
        ? {
            goal,
            measured: `${rate(ours)} vs ${rate(lockStep)} deliveries`,
            ratio: times(tputRatio(['ours', 1, true], ['ours', 1])),
            met: tputRatio(['ours', 1, true], ['ours', 1]) >= 0.9,
          }
        : notRun(goal),
    );
  }
  {
    const goal = `throughput at N = ${GOAL_SIZE}: the default configuration (lossless, negotiated window ${NEGOTIATED_WINDOW}) at least 5x v1 lock-step`;
    const ours = tputOf('ours', NEGOTIATED_WINDOW, true);
    const lockStep = tputOf('ours', 1);
    goals.push(
      Number.isFinite(ours) && Number.isFinite(lockStep)
        ? {
            goal,
            measured: `${rate(ours)} vs ${rate(lockStep)} deliveries (raw window ${NEGOTIATED_WINDOW}: ${rate(tputOf('raw', NEGOTIATED_WINDOW))})`,
            ratio: times(tputRatio(['ours', NEGOTIATED_WINDOW, true], ['ours', 1])),
            met: tputRatio(['ours', NEGOTIATED_WINDOW, true], ['ours', 1]) >= 5,
          }
        : notRun(goal),
    );
  }
  {
    const goal = `messages sent from a failure on at N = ${GOAL_SIZE} (crash and silent) reach every live peer (lossless)`;
    const rows = single(results.recovery, GOAL_SIZE).filter(
      (r) => r.lossless && r.mode !== 'restart',
    );
    const sent = rows.reduce((sum, r) => sum + r.sentDuringCut, 0);
    const delivered = rows.reduce((sum, r) => sum + r.deliveredFromCut, 0);
    const parts = (['crash', 'silent'] as const).map((mode) => {
      const of = rows.filter((r) => r.mode === mode);
      return `${mode}: ${of.reduce((sum, r) => sum + r.deliveredFromCut, 0)} of ${of.reduce((sum, r) => sum + r.sentDuringCut, 0)}, the last ${ms(medianOf(of, (r) => r.repairedMs))} after the signal`;
    });
    goals.push(
      rows.length > 0
        ? {
            goal,
            measured: parts.join('; '),
            ratio: times(delivered / sent),
            met: delivered === sent,
          }
        : notRun(goal),
    );
  }
  {
    const goal = 'formation of 1,023 peers under 3 s';
    const value = medianOf(single(results.formation, 1023), (r) => r.ms);
    goals.push(
      Number.isFinite(value)
        ? { goal, measured: ms(value), ratio: times(value / 3000), met: value < 3000 }
        : notRun(goal),
    );
  }
  for (const lossless of [true, false]) {
    const goal = `crash recovery of a quarter of the tree at N = ${GOAL_SIZE} under 500 ms (re-attached and delivering, ${lossless ? 'lossless' : 'v1'})`;
    const rows = single(results.recovery, GOAL_SIZE).filter(
      (r) => r.mode === 'crash' && r.lossless === lossless,
    );
    const value = medianOf(rows, (r) => r.deliveredMs);
    if (rows.length > 0)
      goals.push(
        Number.isFinite(value)
          ? {
              goal,
              measured: `${ms(value)} (subtree of ${rows[0]?.subtree}; re-attached in ${ms(medianOf(rows, (r) => r.reattachedMs))})`,
              ratio: times(value / 500),
              met: value < 500,
            }
          : notRun(goal),
      );
  }
  for (const window of [1, 16]) {
    const goal = `root answers at least 50,000 hellos per second on one core (root window ${window}${window === 1 ? ', the default' : ''})`;
    const rows = results.rootCapacity.filter((r) => r.window === window);
    const value = medianOf(rows, (r) => r.hellosPerSecond);
    const cpu = medianOf(rows, (r) => r.rootCpu);
    const raw = medianOf(rows, (r) => r.rawHellosPerSecond);
    goals.push(
      Number.isFinite(value)
        ? {
            goal,
            measured: `${rate(value)}, root process at ${(cpu * 100).toFixed(0)}% of a core, so ${rate(value / cpu)} per core-second (raw root: ${rate(raw)}, ${times(ratio(value, raw))})`,
            ratio: times(value / 50_000),
            met: value >= 50_000,
          }
        : notRun(goal),
    );
  }
  {
    const goal = 'memory under 50 KB of heap per peer (after formation; then after a burst)';
    const largest = Math.max(...results.memory.map((r) => r.size));
    const rows = results.memory.filter((r) => r.size === largest);
    const value = medianOf(rows, (r) => r.heapPerPeer);
    const traffic = medianOf(rows, (r) => r.heapPerPeerAfterTraffic);
    const worst = Number.isFinite(traffic) ? Math.max(value, traffic) : value;
    const first = rows[0];
    goals.push(
      Number.isFinite(value) && first !== undefined
        ? {
            goal,
            measured: `${kb(value)} at N = ${largest} (RSS ${kb(medianOf(rows, (r) => r.rssPerPeer))}); after a burst of ${count(first.trafficMessages)} messages (${first.lossless ? 'lossless, caches filled' : 'v1'}): ${kb(traffic)} (RSS ${kb(medianOf(rows, (r) => r.rssPerPeerAfterTraffic))})`,
            ratio: times(worst / (50 * 1024)),
            met: worst < 50 * 1024,
          }
        : notRun(goal),
    );
  }
  return goals;
}
