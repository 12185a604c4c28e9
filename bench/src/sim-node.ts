import net from 'node:net';
import { type Address, decode, encode, type Packet } from '@p2p/codec';

const HEADER = 20;
const REUNION = 5;
const ACKS = Buffer.from('ACK'.repeat(1024), 'latin1');
const EMPTY = Buffer.alloc(0);

/**
 * A simulated node for the root capacity test: a raw TCP server that acknowledges every frame
 * and hands the root's answers over (hello backs are only counted, never decoded), and one raw
 * connection to the root on which frames are written without waiting for ACKs (the root finds
 * frames by their length). Cheap on purpose, so that the root is what is measured.
 */
export class SimNode {
  readonly server: net.Server;
  readonly #sockets = new Set<net.Socket>();
  address: Address = { host: '127.0.0.1', port: 0 };
  #toRoot: net.Socket | undefined;
  /** Hello backs received. */
  helloBacks = 0;
  /** Called for every packet from the root other than a hello back. */
  onPacket: (packet: Packet) => void = () => {};
  /** Called after every read that brought hello backs. */
  onHelloBacks: () => void = () => {};

  constructor() {
    this.server = net.createServer((socket) => this.#accept(socket));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.address = { host: '127.0.0.1', port: (this.server.address() as net.AddressInfo).port };
  }

  async connect(root: Address): Promise<void> {
    const socket = net.connect({ host: root.host, port: root.port });
    socket.setNoDelay(true);
    socket.on('data', () => {}); // ACKs: the root acknowledges every frame; we do not wait for them
    socket.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    this.#toRoot = socket;
  }

  send(packet: Packet): void {
    this.write(encode(packet, 'binary'));
  }

  write(frame: Uint8Array): void {
    this.#toRoot?.write(frame);
  }

  /** Writes many frames in one go. */
  writeMany(frames: readonly Uint8Array[]): void {
    const socket = this.#toRoot;
    if (socket === undefined || frames.length === 0) return;
    socket.cork();
    for (const frame of frames) socket.write(frame);
    socket.uncork();
  }

  close(): void {
    this.#toRoot?.destroy();
    for (const socket of this.#sockets) socket.destroy();
    this.server.close();
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
      let backs = 0;
      const others: Packet[] = [];
      while (bytes.length - at >= HEADER) {
        const end = at + HEADER + bytes.readUInt32BE(at + 4);
        if (end > bytes.length) break;
        frames++;
        if (bytes.readUInt16BE(at + 2) === REUNION) backs++;
        else others.push(decode(bytes.subarray(at, end)).packet);
        at = end;
      }
      held = at === bytes.length ? EMPTY : Buffer.from(bytes.subarray(at));
      for (let left = frames; left > 0; left -= 1024)
        socket.write(ACKS.subarray(0, 3 * Math.min(left, 1024)));
      for (const packet of others) this.onPacket(packet);
      if (backs > 0) {
        this.helloBacks += backs;
        this.onHelloBacks();
      }
    });
  }
}
