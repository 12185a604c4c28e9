import { EventEmitter } from 'node:events';
import net from 'node:net';
import {
  type Address,
  type DecodedFrame,
  encode,
  FrameDecoder,
  type Framing,
  formatAddress,
  type Packet,
} from '@p2p/codec';
import {
  type Clock,
  ManualClock,
  StreamNode,
  type StreamNodeOptions,
  systemClock,
  type TimerHandle,
} from '../src/index.js';

/** Generous: the suite must pass on a loaded 2-core machine. */
export const WAIT_MS = 10_000;

type Closer = () => unknown;
const closers: Closer[] = [];

/** Registers something to close after the current test (see {@link closeAll}). */
export function track<T extends { close(): unknown }>(thing: T): T {
  closers.push(() => thing.close());
  return thing;
}

/** Closes everything tracked, newest first; use as `afterEach(closeAll)`. */
export async function closeAll(): Promise<void> {
  const pending = closers.splice(0).reverse();
  for (const close of pending) await close();
}

/** A StreamNode on 127.0.0.1 with an OS-picked port, closed after the test. */
export async function startNode(options: Partial<StreamNodeOptions> = {}): Promise<StreamNode> {
  return track(await StreamNode.listen({ listen: '127.0.0.1:0', ...options }));
}

/** Rejects after `ms` unless `promise` settles first; the timer never outlives it. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

interface Listenable {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
}

/**
 * Resolves with the first argument of the first `event` for which `accept` holds (default: the
 * next one); rejects after `timeoutMs`.
 */
export function waitFor<T = unknown>(
  emitter: Listenable,
  event: string,
  timeoutMs = WAIT_MS,
  accept: (value: T) => boolean = () => true,
): Promise<T> {
  let listener: ((value: T) => void) | undefined;
  const happened = new Promise<T>((resolve) => {
    listener = (value: T) => {
      if (accept(value)) resolve(value);
    };
    emitter.on(event, listener as (...args: unknown[]) => void);
  });
  return withTimeout(happened, timeoutMs, `'${event}'`).finally(() =>
    emitter.off(event, listener as (...args: unknown[]) => void),
  );
}

/** Collects `count` events' first arguments; rejects after `timeoutMs`. */
export function collect<T = unknown>(
  emitter: Listenable,
  event: string,
  count: number,
  timeoutMs = WAIT_MS,
): Promise<T[]> {
  const values: T[] = [];
  return waitFor<T>(emitter, event, timeoutMs, (value) => {
    values.push(value);
    return values.length >= count;
  }).then(() => values);
}

/** A Message packet. */
export function message(source: Address, text: string): Packet {
  return { kind: 'message', source, text };
}

/** A port that was just free and has nothing listening on it now. */
export async function closedPort(): Promise<Address> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { host: '127.0.0.1', port };
}

export interface RawServerOptions {
  /** Decode frames and acknowledge each with ACK (default true). */
  ack?: boolean;
  /** Called for each accepted socket before anything else; may take it over. */
  onConnection?: (socket: net.Socket) => void;
}

/**
 * A plain `node:net` server on 127.0.0.1:0 that records every byte and every frame it receives.
 * Events: 'connection' (socket), 'data' (chunk), 'frame' (DecodedFrame), 'close' (socket).
 */
export class RawServer extends EventEmitter {
  readonly server: net.Server;
  readonly sockets = new Set<net.Socket>();
  readonly frames: DecodedFrame[] = [];
  readonly chunks: Buffer[] = [];
  bytes = 0;
  ack: boolean;
  #address: Address | undefined;

  private constructor(options: RawServerOptions) {
    super();
    this.ack = options.ack ?? true;
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        this.emit('close', socket);
      });
      socket.on('error', () => {});
      options.onConnection?.(socket);
      const decoder = new FrameDecoder();
      socket.on('data', (chunk: Buffer) => {
        this.chunks.push(chunk);
        this.bytes += chunk.length;
        this.emit('data', chunk);
        let frames: DecodedFrame[];
        try {
          frames = decoder.push(chunk);
        } catch {
          return;
        }
        for (const frame of frames) {
          this.frames.push(frame);
          if (this.ack) socket.write('ACK');
          this.emit('frame', frame);
        }
      });
      this.emit('connection', socket);
    });
  }

  static async start(options: RawServerOptions = {}): Promise<RawServer> {
    const raw = track(new RawServer(options));
    await new Promise<void>((resolve) => raw.server.listen(0, '127.0.0.1', resolve));
    const { port } = raw.server.address() as net.AddressInfo;
    raw.#address = { host: '127.0.0.1', port };
    return raw;
  }

  get address(): Address {
    if (this.#address === undefined) throw new Error('not listening');
    return this.#address;
  }

  get key(): string {
    return formatAddress(this.address);
  }

  /** Stops listening and destroys every accepted socket; resolves when all are closed. */
  async close(): Promise<void> {
    const closed = [...this.sockets].map(
      (socket) => new Promise<void>((resolve) => socket.once('close', () => resolve())),
    );
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await Promise.all([serverClosed, ...closed]);
  }
}

/**
 * Resolves when the raw server's next accepted socket is closed, with whether our end came as a
 * FIN (an orderly end) rather than a reset.
 */
export function remoteSawEnd(raw: RawServer): Promise<boolean> {
  return new Promise((resolve) => {
    raw.once('connection', (socket: net.Socket) => {
      let ended = false;
      socket.once('end', () => {
        ended = true;
      });
      socket.once('close', () => resolve(ended));
    });
  });
}

/** Whether `promise` has settled, read without waiting for it. */
export function settledYet(promise: Promise<unknown>): () => boolean {
  let settled = false;
  void promise.then(() => {
    settled = true;
  });
  return () => settled;
}

/**
 * Moves `clock` on to 1 ms short of `ms` and checks that the remote has not seen our end yet, then
 * the last 1 ms: the remote sees our FIN (`ended`, from {@link remoteSawEnd}) and no timer is left.
 */
export async function expectEndAfter(
  clock: ManualClock,
  ms: number,
  ended: Promise<boolean>,
): Promise<void> {
  const endedYet = settledYet(ended);
  clock.advance(ms - 1);
  await loopTurns(4);
  if (endedYet()) throw new Error(`the connection ended before ${ms} ms`);
  clock.advance(1);
  if (!(await ended)) throw new Error('the connection was reset, not ended with a FIN');
  if (clock.pending !== 0) throw new Error(`${clock.pending} timers left after the end`);
}

/** A plain client socket to `address` that records what comes back. */
export class RawClient extends EventEmitter {
  readonly socket: net.Socket;
  readonly chunks: Buffer[] = [];
  length = 0;
  closed = false;
  readonly #closed: Promise<void>;

  private constructor(address: Address, localAddress?: string) {
    super();
    this.socket = net.connect({
      host: address.host,
      port: address.port,
      ...(localAddress === undefined ? {} : { localAddress }),
    });
    this.socket.setNoDelay(true);
    this.socket.on('error', () => {});
    this.socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.length += chunk.length;
      this.emit('data', chunk);
    });
    this.#closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        this.closed = true;
        this.emit('close');
        resolve();
      }),
    );
  }

  /** Connects to `address`, from the loopback host `from` (127.0.0.2, say) when given. */
  static async connect(address: Address, from?: string): Promise<RawClient> {
    const client = track(new RawClient(address, from));
    await waitFor(client.socket, 'connect');
    return client;
  }

  write(bytes: Uint8Array | string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve())),
    );
  }

  /** Every byte that came back so far. */
  get received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** Resolves once at least `count` bytes have come back. */
  async receivedAtLeast(count: number, timeoutMs = WAIT_MS): Promise<Buffer> {
    if (this.length < count) {
      await waitFor(this, 'data', timeoutMs, () => this.length >= count);
    }
    return this.received;
  }

  /** Resolves once the socket is closed (by either side). */
  whenClosed(timeoutMs = WAIT_MS): Promise<void> {
    return withTimeout(this.#closed, timeoutMs, 'the raw client to close');
  }

  close(): Promise<void> {
    this.socket.destroy();
    return this.#closed;
  }
}

/** The bytes of `packet` in `framing`, as a Buffer. */
export function frameOf(packet: Packet, framing: Framing): Buffer {
  return Buffer.from(encode(packet, framing));
}

/**
 * Lets libuv finish closing handles: Node reports a server or socket closed (on nextTick) before
 * libuv's close phase has released the handle. Two loop turns guarantee a close phase has run.
 */
export async function loopTurns(turns = 2): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A ManualClock that emits `'set'` (with the delay) whenever a timer is set, so a test can wait
 * until the node has armed a timeout before it moves time on.
 */
export class TestClock extends ManualClock {
  readonly events = new EventEmitter();

  override setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle = super.setTimeout(callback, ms);
    this.events.emit('set', ms);
    return handle;
  }

  /** Resolves at the next timer set. Call before what sets it. */
  nextTimer(): Promise<number> {
    return waitFor<number>(this.events, 'set');
  }
}

/** The system clock, counting the timers set and not yet run or cleared (leak checks). */
export class CountingClock implements Clock {
  readonly #live = new Set<TimerHandle>();

  get live(): number {
    return this.#live.size;
  }

  now(): number {
    return systemClock.now();
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const handle = systemClock.setTimeout(() => {
      this.#live.delete(handle);
      callback();
    }, ms);
    this.#live.add(handle);
    return handle;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#live.delete(handle);
    systemClock.clearTimeout(handle);
  }
}

/** Counts of the handle kinds a node owns, for leak checks (call {@link loopTurns} first). */
/**
 * The kinds of `handleCounts()` that grew since `baseline`: what a test left open. A handle of the
 * baseline may close meanwhile (a timer of the runner or of an earlier test), so fewer is fine.
 */
export function handlesLeftSince(
  baseline: ReturnType<typeof handleCounts>,
): Partial<ReturnType<typeof handleCounts>> {
  const now = handleCounts();
  const grown: Partial<ReturnType<typeof handleCounts>> = {};
  for (const kind of Object.keys(now) as (keyof typeof now)[])
    if (now[kind] > baseline[kind]) grown[kind] = now[kind] - baseline[kind];
  return grown;
}

export function handleCounts(): Record<'TCPSocketWrap' | 'TCPServerWrap' | 'Timeout', number> {
  const counts = { TCPSocketWrap: 0, TCPServerWrap: 0, Timeout: 0 };
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind in counts) counts[kind as keyof typeof counts]++;
  }
  return counts;
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** A Logger that keeps every line and emits each as 'line', so tests can wait for one. */
export class TestLogger extends EventEmitter {
  readonly lines: LogLine[] = [];

  debug(obj: object, msg?: string): void {
    this.#log('debug', obj, msg);
  }
  info(obj: object, msg?: string): void {
    this.#log('info', obj, msg);
  }
  warn(obj: object, msg?: string): void {
    this.#log('warn', obj, msg);
  }
  error(obj: object, msg?: string): void {
    this.#log('error', obj, msg);
  }

  /** Resolves with the first line (already logged or to come) whose message contains `text`. */
  line(text: string, timeoutMs = WAIT_MS): Promise<LogLine> {
    const seen = this.lines.find((line) => line.msg?.includes(text));
    if (seen !== undefined) return Promise.resolve(seen);
    return waitFor<LogLine>(this, 'line', timeoutMs, (line) => line.msg?.includes(text) === true);
  }

  #log(level: LogLine['level'], obj: object, msg: string | undefined): void {
    const line = { level, obj: obj as Record<string, unknown>, msg };
    this.lines.push(line);
    this.emit('line', line);
  }
}
