import type { Flood, OriginKind } from '../flood.js';
import { summarise } from '../stats.js';

export interface LatencyRun {
  p50: number;
  p99: number;
  max: number;
  messages: number;
  lost: number;
}

/** Per message, how long a message may take to reach everybody before it counts as lost. */
const MESSAGE_TIMEOUT_MS = 5_000;

/**
 * Scenario 2: `messages` messages of 100 bytes, one at a time, from the root or a deepest leaf;
 * for each, the time from handing it over until the last node delivered it. `warmup` messages
 * first (opening connections, warming the JIT) are not counted.
 */
export async function latency(
  flood: Flood,
  kind: OriginKind,
  messages: number,
  warmup: number,
): Promise<LatencyRun> {
  const run = await flood.begin(flood.origin(kind), warmup + messages);
  const samples: number[] = [];
  let lost = 0;
  for (let seq = 0; seq < warmup + messages; seq++) {
    const sentAt = await run.send(seq);
    const doneAt = await run.watch.whenComplete(seq, MESSAGE_TIMEOUT_MS);
    if (seq < warmup) continue;
    if (doneAt === undefined) lost++;
    else samples.push(doneAt - sentAt);
  }
  const summary = summarise(samples);
  return { p50: summary.p50, p99: summary.p99, max: summary.max, messages, lost };
}
