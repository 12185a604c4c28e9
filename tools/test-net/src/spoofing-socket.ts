import net from 'node:net';
import { type Packet, PacketFrame, parseAddress } from '@p2p/codec';

const ACK = 'ACK';

/**
 * A connection to a node from another loopback IP (127.0.0.2 by default) than the honest nodes'
 * (127.0.0.1): whatever it sends in their name claims an address that is not the connection's.
 * Its first packet is the connection's first frame, as a probe's offer is.
 */
export class SpoofingSocket {
  readonly #socket: net.Socket;
  /** One resolver per packet sent and not yet acknowledged, oldest first. */
  readonly #waiting: Array<() => void> = [];

  private constructor(socket: net.Socket) {
    this.#socket = socket;
    socket.on('data', (data: Buffer) => {
      for (let acks = ackCount(data); acks > 0 && this.#waiting.length > 0; acks--)
        this.#waiting.shift()?.();
    });
  }

  /** Connects to `to` ('HOST:PORT') from `from`. */
  static async open(to: string, from = '127.0.0.2'): Promise<SpoofingSocket> {
    const { host, port } = parseAddress(to);
    const socket = net.connect({ host, port, localAddress: from });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new SpoofingSocket(socket);
  }

  /** Writes `packet` (binary framing); resolves once the node acknowledged it. */
  send(packet: Packet): Promise<void> {
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#socket.write(new PacketFrame(packet).bytes('binary'));
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}

/**
 * The ACKs in a read: all of it, or, when an offer's answer comes first in the same write (the one
 * thing a node writes back besides ACK), the ACKs that end it.
 */
function ackCount(data: Buffer): number {
  const text = data.toString('latin1');
  if (data.length % 3 === 0 && text === ACK.repeat(data.length / 3)) return data.length / 3;
  let count = 0;
  for (let end = text.length; end >= 3 && text.slice(end - 3, end) === ACK; end -= 3) count++;
  return count;
}

/**
 * What the node at `to` writes back to `packet`, sent as the first frame of a connection from
 * `from` (as a probe's offer is): everything read until an ACK ends it. The connection is closed
 * once it has answered.
 */
export function firstReply(to: string, packet: Packet, from = '127.0.0.2'): Promise<string> {
  const { host, port } = parseAddress(to);
  const socket = net.connect({ host, port, localAddress: from });
  return new Promise<string>((resolve, reject) => {
    let read = Buffer.alloc(0);
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
    socket.on('data', (data: Buffer) => {
      read = Buffer.concat([read, data]);
      if (read.subarray(-3).toString('latin1') !== ACK) return;
      socket.destroy();
      resolve(read.toString('latin1'));
    });
    socket.once('connect', () => socket.write(new PacketFrame(packet).bytes('binary')));
  });
}
