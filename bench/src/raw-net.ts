/**
 * What the raw `node:net` references and the root load generator share: binary frames found by
 * their length field, a 3-byte ACK per frame, and an outgoing connection with a send window. No
 * decoding into objects, no promises: the speed limit of JavaScript on this machine.
 */
import net from 'node:net';

/** The binary header: version, type, body length, source IP (4 × 16 bits), source port. */
export const HEADER = 20;
const ACKS = Buffer.from('ACK'.repeat(1024), 'latin1');
const EMPTY = Buffer.alloc(0);
/**
 * One read buffer for every link's ACKs (`onread`): no Buffer nor 'data' event per 3-byte read.
 * Our outgoing connections read ACKs this way, so the reference does too (it is the speed limit).
 */
const ACK_READS = Buffer.alloc(65_536);

/**
 * Serves an accepted socket: keeps it in `sockets` until it closes, finds whole frames in what it
 * reads, acknowledges them (one write per read), then hands the read's frames over at once:
 * `starts` are their offsets in `bytes`, each ending at start + HEADER + its length field.
 */
export function serveFrames(
  socket: net.Socket,
  sockets: Set<net.Socket>,
  onFrames: (bytes: Buffer, starts: readonly number[]) => void,
): void {
  socket.setNoDelay(true);
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => {});
  let held = EMPTY;
  const starts: number[] = [];
  socket.on('data', (chunk: Buffer) => {
    const bytes = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
    let at = 0;
    starts.length = 0;
    while (bytes.length - at >= HEADER) {
      const end = at + HEADER + bytes.readUInt32BE(at + 4);
      if (end > bytes.length) break;
      starts.push(at);
      at = end;
    }
    held = at === bytes.length ? EMPTY : Buffer.from(bytes.subarray(at));
    if (starts.length === 0) return;
    for (let left = starts.length; left > 0; left -= 1024)
      socket.write(ACKS.subarray(0, 3 * Math.min(left, 1024)));
    onFrames(bytes, starts);
  });
}

/** The end of the frame that starts at `start`. */
export function frameEnd(bytes: Buffer, start: number): number {
  return start + HEADER + bytes.readUInt32BE(start + 4);
}

/** Batched links with frames to write at the end of this turn of the event loop. */
const dirty = new Set<RawLink>();
let flushScheduled = false;

function flushDirty(): void {
  flushScheduled = false;
  for (const link of dirty) link.flush();
  dirty.clear();
}

/**
 * One outgoing connection: a FIFO of frames, at most `window` written and unacknowledged. Frames
 * sent before it is connected wait for the connection. `batched`: frames sent during a turn of
 * the event loop are written at its end, all at once (one corked write per connection and turn,
 * one `setImmediate` for every link of the process), instead of one write per frame.
 */
export class RawLink {
  readonly socket: net.Socket;
  readonly remotePort: number;
  readonly #window: number;
  readonly #batched: boolean;
  #queue: Buffer[] = [];
  #head = 0;
  #inFlight = 0;
  #ackBytes = 0;

  constructor(port: number, window: number, batched = false) {
    this.remotePort = port;
    this.#window = window;
    this.#batched = batched;
    this.socket = net.connect({
      host: '127.0.0.1',
      port,
      onread: { buffer: ACK_READS, callback: (bytes: number) => this.#onAcks(bytes) },
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => this.#pump());
    this.socket.on('error', () => {});
  }

  /** `bytes` bytes of ACKs were read; returns true to keep reading. */
  #onAcks(bytes: number): boolean {
    this.#ackBytes += bytes;
    const acks = Math.floor(this.#ackBytes / 3);
    this.#ackBytes -= acks * 3;
    this.#inFlight -= acks;
    if (!this.#batched) this.#pump();
    else if (this.#queue.length > this.#head) this.#schedule();
    return true;
  }

  connected(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
  }

  send(frame: Buffer): void {
    this.#queue.push(frame);
    if (this.#batched) this.#schedule();
    else this.#pump();
  }

  #schedule(): void {
    dirty.add(this);
    if (flushScheduled) return;
    flushScheduled = true;
    setImmediate(flushDirty);
  }

  /** Writes what the window lets out (batched links: at the end of the turn). */
  flush(): void {
    this.#pump();
  }

  #pump(): void {
    if (this.socket.connecting) return;
    const room = Math.min(this.#window - this.#inFlight, this.#queue.length - this.#head);
    if (room <= 0) return;
    if (room > 1) this.socket.cork();
    for (let i = 0; i < room; i++) this.socket.write(this.#queue[this.#head++] as Buffer);
    if (room > 1) this.socket.uncork();
    this.#inFlight += room;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }
}
