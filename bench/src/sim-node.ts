import net from 'node:net';
import { type Address, decode, encode, type Packet } from '@p2p/codec';
import { frameEnd, serveFrames } from './raw-net.js';

const REUNION = 5;

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
    serveFrames(socket, this.#sockets, (bytes, starts) => {
      let backs = 0;
      for (const start of starts) {
        if (bytes.readUInt16BE(start + 2) === REUNION) backs++;
        else this.onPacket(decode(bytes.subarray(start, frameEnd(bytes, start))).packet);
      }
      if (backs > 0) {
        this.helloBacks += backs;
        this.onHelloBacks();
      }
    });
  }
}
