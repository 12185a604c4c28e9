export { StreamError, type StreamErrorCode, type StreamErrorOptions } from './errors.js';
export type {
  InboundPacket,
  MalformedEvent,
  SocketPeer,
  StreamEvents,
  UnreachableEvent,
} from './events.js';
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
export { type SendOptions, StreamNode, type StreamStats } from './stream-node.js';
