/**
 * The reference for the root capacity test: a minimal root over plain `node:net` that answers
 * every Reunion hello with a hello back (the path reversed) to the hello's source, over its own
 * outgoing connection with at most `window` frames unacknowledged, and acknowledges every frame
 * with 3 bytes. It checks nothing (no registry, no tree): the speed limit of answering hellos in
 * JavaScript on this machine, with the same connections and the same window.
 */
import net from 'node:net';
import { frameEnd, HEADER, RawLink, serveFrames } from './raw-net.js';

const ENTRY = 20;
/** The body starts with 'REQ' or 'RES' and a two-digit count. */
const PATH_START = 5;
const RES = Buffer.from('RES', 'latin1');

export class RawRoot {
  readonly server: net.Server;
  readonly #window: number;
  readonly #links = new Map<number, RawLink>();
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
    serveFrames(socket, this.#sockets, (bytes, starts) => {
      for (const start of starts) {
        if (bytes.readUInt16BE(start + 2) !== 5) continue;
        const port = bytes.readUInt32BE(start + 16);
        let link = this.#links.get(port);
        if (link === undefined) {
          link = new RawLink(port, this.#window);
          this.#links.set(port, link);
        }
        link.send(this.#answer(bytes, start, frameEnd(bytes, start)));
        this.answered++;
      }
    });
  }
}
