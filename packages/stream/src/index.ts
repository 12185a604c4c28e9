export { StreamError, type StreamErrorCode, type StreamErrorOptions } from './errors.js';
export type {
  InboundPacket,
  MalformedEvent,
  SocketPeer,
  StreamEvents,
  UnreachableEvent,
} from './events.js';
export { type Logger, silentLogger } from './logger.js';
export type { StreamNodeOptions } from './options.js';
export { type SendOptions, StreamNode, type StreamStats } from './stream-node.js';
