import type { Logger } from '@p2p/stream';
import type { NodeCounters } from '../events.js';
import type { TransportFloodReport } from '../transport.js';
import type { BroadcastResult } from './flooding.js';

/** Counts the sends a flood could not make (`sendFailures`) and logs each at debug. */
export function countSendFailures(
  report: TransportFloodReport,
  counters: NodeCounters,
  logger: Logger,
): void {
  const failures = report.failures;
  if (failures.length === 0) return;
  counters.sendFailures += failures.length;
  for (const error of failures)
    logger.debug({ to: error.remote, err: error.message }, 'send failed');
}

/** Adds what one flood of a broadcast reached, and failed to, to the broadcast's result. */
export function addToBroadcast(result: BroadcastResult, report: TransportFloodReport): void {
  result.delivered += report.acknowledged;
  for (const failure of report.failures) result.failed.push(failure.remote ?? '');
}
