import net from 'node:net';
import { type Address, decode, type Packet } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { closeAll, message, startNode, track } from './helpers.js';

afterEach(closeAll);

/**
 * A server that behaves like the older implementations: it treats each socket read as exactly one
 * packet (decoding the whole chunk) and answers ACK. It only works with senders in lock-step.
 */
class OldStyleServer {
  readonly server: net.Server;
  readonly packets: Packet[] = [];
  readonly failures: string[] = [];
  readonly #sockets = new Set<net.Socket>();

  constructor() {
    this.server = net.createServer((socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        try {
          this.packets.push(decode(chunk).packet);
        } catch (error) {
          this.failures.push(`${chunk.length}-byte read: ${(error as Error).message}`);
        }
        socket.write('ACK');
      });
    });
  }

  static async start(): Promise<OldStyleServer> {
    const old = track(new OldStyleServer());
    await new Promise<void>((resolve) => old.server.listen(0, '127.0.0.1', resolve));
    return old;
  }

  get address(): Address {
    return { host: '127.0.0.1', port: (this.server.address() as net.AddressInfo).port };
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('interoperability with one-packet-per-read implementations', () => {
  it('delivers 2,000 concurrent sends per node intact in lock-step mode, under load', async () => {
    const count = 2_000;
    const servers = [await OldStyleServer.start(), await OldStyleServer.start()];
    const senders = [
      await startNode({ maxQueue: count }),
      await startNode({ maxQueue: count, defaultFraming: 'text' }),
    ];
    const texts = Array.from({ length: count }, (_, i) => `packet ${i} ${'x'.repeat(i % 300)}`);
    // Every sender sends to every server at once: four lock-step streams competing for the loop.
    await Promise.all(
      senders.flatMap((sender) =>
        servers.flatMap((server) =>
          texts.map((text) => sender.send(server.address, message(sender.address, text))),
        ),
      ),
    );
    for (const server of servers) {
      expect(server.failures).toEqual([]);
      expect(server.packets).toHaveLength(2 * count);
      for (const sender of senders) {
        const fromSender = server.packets.filter((p) => p.source.port === sender.address.port);
        expect(fromSender).toEqual(texts.map((text) => message(sender.address, text)));
      }
    }
  });
});
