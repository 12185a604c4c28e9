/**
 * The reference for the root capacity test: a minimal root over plain `node:net` that answers
 * every Reunion hello with a hello back (the path reversed) to the hello's source, over its own
 * outgoing connection with at most `window` frames unacknowledged, and acknowledges every frame
 * with 3 bytes. It checks nothing (no registry, no tree): the speed limit of answering hellos in
 * JavaScript on this machine, with the same connections and the same window.
 */
import net from 'node:net';

const HEADER = 20;
const ENTRY = 20;
/** The body starts with 'REQ' or 'RES' and a two-digit count. */
const PATH_START = 5;
const ACKS = Buffer.from('ACK'.repeat(1024), 'latin1');
const EMPTY = Buffer.alloc(0);
const RES = Buffer.from('RES', 'latin1');

/** One outgoing connection with at most `window` frames unacknowledged. */
class Link {
  readonly socket: net.Socket;
  readonly #window: number;
  #queue: Buffer[] = [];
  #head = 0;
  #inFlight = 0;
  #ackBytes = 0;

  constructor(port: number, window: number) {
    this.#window = window;
    this.socket = net.connect({ host: '127.0.0.1', port });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => this.#pump());
    this.socket.on('data', (chunk: Buffer) => {
      this.#ackBytes += chunk.length;
      const acks = Math.floor(this.#ackBytes / 3);
      this.#ackBytes -= acks * 3;
      this.#inFlight -= acks;
      this.#pump();
    });
    this.socket.on('error', () => {});
  }

  send(frame: Buffer): void {
    this.#queue.push(frame);
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

export class RawRoot {
  readonly server: net.Server;
  readonly #window: number;
  readonly #links = new Map<number, Link>();
  readonly #sockets = new Set<net.Socket>();
  port = 0;
  answered = 0;

  constructor(window: number) {
    this.#window = window;
    this.server = net.createServer((socket) => this.#accept(socket));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return `127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const link of this.#links.values()) link.socket.destroy();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The hello back for the hello in `bytes[start, end)`: same header, source us, path reversed. */
  #answer(bytes: Buffer, start: number, end: number): Buffer {
    const back = Buffer.allocUnsafe(end - start);
    bytes.copy(back, 0, start, start + HEADER + PATH_START);
    back.writeUInt32BE(this.port, 16);
    RES.copy(back, HEADER);
    const entries = (end - start - HEADER - PATH_START) / ENTRY;
    for (let i = 0; i < entries; i++) {
      const from = start + HEADER + PATH_START + i * ENTRY;
      bytes.copy(back, HEADER + PATH_START + (entries - 1 - i) * ENTRY, from, from + ENTRY);
    }
    return back;
  }

  #accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    socket.on('error', () => {});
    let held = EMPTY;
    socket.on('data', (chunk: Buffer) => {
      const bytes = held.length === 0 ? chunk : Buffer.concat([held, chunk]);
      let at = 0;
      let frames = 0;
      const answers: Array<[number, Buffer]> = [];
      while (bytes.length - at >= HEADER) {
        const end = at + HEADER + bytes.readUInt32BE(at + 4);
        if (end > bytes.length) break;
        frames++;
        if (bytes.readUInt16BE(at + 2) === 5)
          answers.push([bytes.readUInt32BE(at + 16), this.#answer(bytes, at, end)]);
        at = end;
      }
      held = at === bytes.length ? EMPTY : Buffer.from(bytes.subarray(at));
      for (let left = frames; left > 0; left -= 1024)
        socket.write(ACKS.subarray(0, 3 * Math.min(left, 1024)));
      for (const [port, frame] of answers) {
        let link = this.#links.get(port);
        if (link === undefined) {
          link = new Link(port, this.#window);
          this.#links.set(port, link);
        }
        link.send(frame);
        this.answered++;
      }
    });
  }
}
