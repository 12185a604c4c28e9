export { type Clock, ManualClock, systemClock, type TimerHandle } from './clock.js';
export { StreamError, type StreamErrorCode, type StreamErrorOptions } from './errors.js';
export {
  InboundPacket,
  type MalformedEvent,
  type SocketPeer,
  type StreamEvents,
  type UnreachableEvent,
} from './events.js';
export type { FloodReport, FloodReporter } from './flood.js';
export {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type Logger,
  type LogLevel,
  resolveLogFormat,
  silentLogger,
} from './logger.js';
export type { StreamNodeOptions } from './options.js';
export type { Sendable } from './outbound-table.js';
export type { ProbeResult } from './probe.js';
export { type OfferFilter, type SendOptions, StreamNode, type StreamStats } from './stream-node.js';
