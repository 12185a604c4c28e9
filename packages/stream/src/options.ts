import { type Address, CodecError, DEFAULT_MAX_BODY_SIZE, type Framing } from '@p2p/codec';
import { type Clock, systemClock } from './clock.js';
import { StreamError } from './errors.js';
import { type Logger, silentLogger } from './logger.js';
import { parseRemote } from './remote-address.js';

/** Options of {@link StreamNode.listen}; everything but `listen` is optional. */
export interface StreamNodeOptions {
  /** The address the node's server listens on, `'HOST:PORT'` or an Address; port 0 lets the OS pick. */
  listen: string | Address;
  /** Framing used toward remotes never heard from. Default `'binary'`. */
  defaultFraming?: Framing;
  /** Unacknowledged packets per outgoing connection. Default 1 (lock-step, what older nodes need). */
  window?: number;
  /** Per remote, packets waiting plus in flight; beyond it `send()` rejects ERR_STREAM_QUEUE_FULL. Default 16,384. */
  maxQueue?: number;
  /** Per remote, bytes of frames waiting plus in flight; beyond it `send()` rejects ERR_STREAM_QUEUE_FULL. Default 8 MiB. */
  maxQueueBytes?: number;
  /** Milliseconds to wait for the ACK of the oldest unacknowledged packet. Default 10,000. */
  ackTimeout?: number;
  /** Milliseconds to wait for an outgoing connection to open. Default 5,000. */
  connectTimeout?: number;
  /** Largest body accepted on inbound connections, in bytes. Default the codec's DEFAULT_MAX_BODY_SIZE (64 KiB). */
  maxBodySize?: number;
  /**
   * Inbound connections kept at once. At the limit the oldest silent one (no whole frame yet) is
   * closed to make room; when none is silent, the longest-idle connection of the remote IP holding
   * the most connections, if that IP is the newcomer's or holds at least two more than it; else
   * the newcomer is refused (all logged). Default 1024.
   */
  maxConnections?: number;
  /**
   * Inbound connections kept at once from one remote IP; a newcomer beyond it replaces that IP's
   * oldest silent connection, else its longest-idle one. Default 64.
   */
  maxConnectionsPerIp?: number;
  /** Whether loopback remotes (127.0.0.0/8, ::1) are exempt from maxConnectionsPerIp. Default true. */
  exemptLoopback?: boolean;
  /** Milliseconds a frame that has started arriving on an inbound connection has to complete. Default 10,000. */
  frameTimeout?: number;
  /**
   * Milliseconds with nothing sent or acknowledged after which this node closes its own OUTGOING
   * connection (the next send reconnects); 0 never. Accepted connections are never closed for
   * being idle (protocol.md section 4). Default 60,000.
   */
  idleTimeout?: number;
  /** Where log lines go (a pino logger fits). Default: nowhere. */
  logger?: Logger;
  /** Time for every timeout above (connect, ACK, frame, idle). Default the system clock; tests pass a ManualClock. */
  clock?: Clock;
}

/** Options with every default filled in and every value checked. */
export interface ResolvedOptions {
  listen: Address;
  defaultFraming: Framing;
  window: number;
  maxQueue: number;
  maxQueueBytes: number;
  ackTimeout: number;
  connectTimeout: number;
  maxBodySize: number;
  maxConnections: number;
  maxConnectionsPerIp: number;
  exemptLoopback: boolean;
  frameTimeout: number;
  idleTimeout: number;
  logger: Logger;
  clock: Clock;
}

/** Node's timers hold at most 2^31-1 ms; a longer delay would silently become 1 ms. */
export const MAX_DELAY = 2 ** 31 - 1;

function invalid(message: string): StreamError {
  return new StreamError('ERR_STREAM_INVALID_ARGUMENT', message);
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalid(`option ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function flag(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean')
    throw invalid(`option ${name} must be true or false, got ${String(value)}`);
  return value;
}

/** True when `value` is an object with a method of each name. */
function hasMethods(value: unknown, names: readonly string[]): boolean {
  if (value === null || typeof value !== 'object') return false;
  const candidate = value as Record<string, unknown>;
  return names.every((name) => typeof candidate[name] === 'function');
}

/** Checks options and fills in defaults; throws StreamError ERR_STREAM_INVALID_ARGUMENT saying what is wrong. */
export function resolveOptions(options: StreamNodeOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw invalid("options must be an object with at least { listen: 'HOST:PORT' }");
  }
  let listen: Address;
  try {
    listen = parseRemote(options.listen).address;
  } catch (error) {
    const reason = error instanceof CodecError ? error.message : String(error);
    throw invalid(`option listen: ${reason}`);
  }
  const framing = options.defaultFraming ?? 'binary';
  if (framing !== 'binary' && framing !== 'text') {
    throw invalid(`option defaultFraming must be 'binary' or 'text', got ${String(framing)}`);
  }
  const logger = options.logger ?? silentLogger;
  if (!hasMethods(logger, ['debug', 'info', 'warn', 'error'])) {
    throw invalid('option logger must have debug, info, warn and error methods (a pino logger)');
  }
  const clock = options.clock ?? systemClock;
  if (!hasMethods(clock, ['now', 'setTimeout', 'clearTimeout'])) {
    throw invalid('option clock must have now, setTimeout and clearTimeout methods');
  }
  return {
    listen,
    defaultFraming: framing,
    window: integer('window', options.window, 1, 1, 65_536),
    // A flood forwards in bursts: the queue must absorb a burst (packets) without letting large
    // frames take unbounded memory (bytes).
    maxQueue: integer('maxQueue', options.maxQueue, 16_384, 1, 2 ** 30),
    maxQueueBytes: integer('maxQueueBytes', options.maxQueueBytes, 8 * 1024 * 1024, 1, 2 ** 40),
    ackTimeout: integer('ackTimeout', options.ackTimeout, 10_000, 1, MAX_DELAY),
    connectTimeout: integer('connectTimeout', options.connectTimeout, 5_000, 1, MAX_DELAY),
    maxBodySize: integer('maxBodySize', options.maxBodySize, DEFAULT_MAX_BODY_SIZE, 0, 2 ** 32 - 1),
    maxConnections: integer('maxConnections', options.maxConnections, 1024, 1, 2 ** 30),
    maxConnectionsPerIp: integer(
      'maxConnectionsPerIp',
      options.maxConnectionsPerIp,
      64,
      1,
      2 ** 30,
    ),
    exemptLoopback: flag('exemptLoopback', options.exemptLoopback, true),
    frameTimeout: integer('frameTimeout', options.frameTimeout, 10_000, 1, MAX_DELAY),
    idleTimeout: integer('idleTimeout', options.idleTimeout, 60_000, 0, MAX_DELAY),
    logger,
    clock,
  };
}
