import net from 'node:net';
import { encode, parseAddress } from '@p2p/codec';
import { StreamNode } from '@p2p/stream';
import { expect, it } from 'vitest';
import { STEP_TIMEOUT, waitForEvent } from '../src/network.js';
import { networksStoppedAfterEach, scenario } from './reference.js';

const newNetwork = networksStoppedAfterEach();

/** A binary frame of a type no packet has (our codec refuses to make one), with an ASCII body. */
function frameOfType(type: number, source: string, body: string): Buffer {
  const { host, port } = parseAddress(source);
  const frame = Buffer.alloc(20 + body.length);
  frame.writeUInt16BE(1, 0); // version
  frame.writeUInt16BE(type, 2);
  frame.writeUInt32BE(body.length, 4);
  host.split('.').forEach((octet, i) => {
    frame.writeUInt16BE(Number(octet), 8 + 2 * i);
  });
  frame.writeUInt32BE(port, 16);
  frame.write(body, 20, 'latin1');
  return frame;
}

/** Writes one frame and waits for its ACK, as the reference needs. */
async function sendAndAwaitAck(socket: net.Socket, frame: Uint8Array): Promise<void> {
  const acked = waitForEvent<Buffer>(
    socket,
    'data',
    (chunk) => chunk.toString('latin1') === 'ACK',
    STEP_TIMEOUT,
    'the ACK',
  );
  socket.write(frame);
  await acked;
}

scenario('a packet of an unknown type (issue #17 relies on this)', () => {
  it('is reported as "Unexpected type" and the reference goes on handling packets', async () => {
    const network = newNetwork();
    const { root, x } = await network.rootWithReferencePeer();

    const socket = net.connect({ host: '127.0.0.1', port: x.port });
    try {
      await waitForEvent(socket, 'connect', () => true, STEP_TIMEOUT, 'the connection');
      // Both from its parent's address, so that the Message is one it accepts.
      await sendAndAwaitAck(socket, frameOfType(10, root.address, 'NEW'));
      await sendAndAwaitAck(
        socket,
        encode(
          { kind: 'message', source: parseAddress(root.address), text: 'after an unknown type' },
          'binary',
        ),
      );
      const message = await x.waitForMessage('after an unknown type', STEP_TIMEOUT);
      const unknown = x.handled.findIndex((packet) => packet.type === 10);
      expect(unknown).toBeGreaterThanOrEqual(0);
      expect(x.handled.indexOf(message)).toBeGreaterThan(unknown);
      expect(x.output.some((line) => /^Unexpected type:\s+10$/.test(line))).toBe(true);
      expect(x.mainLoopDied).toBeUndefined();
    } finally {
      socket.destroy();
    }
  });

  it('the lossless offer (type 7) on a connection of its own: "Unexpected type: 7", one ACK, nothing else', async () => {
    const network = newNetwork();
    const { root, x } = await network.rootWithReferencePeer();
    // Exactly the bytes a probe writes (docs/lossless-extension.md 10.1.2), read back raw.
    const offer = encode(
      {
        kind: 'capabilities-offer',
        source: parseAddress(root.address),
        capabilities: { ids: 1, window: 32 },
      },
      'binary',
    );
    expect(offer.length).toBe(39);
    const socket = net.connect({ host: '127.0.0.1', port: x.port });
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    try {
      await waitForEvent(socket, 'connect', () => true, STEP_TIMEOUT, 'the connection');
      await sendAndAwaitAck(socket, offer);
      const stream = await StreamNode.listen({ listen: '127.0.0.1:0' });
      try {
        // The probe as our nodes run it: the reference acknowledges and does not answer.
        const probed = await stream.probe(
          { host: '127.0.0.1', port: x.port },
          {
            kind: 'capabilities-offer',
            source: stream.address,
            capabilities: { ids: 1, window: 32 },
          },
        );
        expect(probed).toEqual({ outcome: 'acknowledged' });
      } finally {
        await stream.close();
      }
      // Its main loop goes on: a Message from its parent after the offers is handled.
      await sendAndAwaitAck(
        socket,
        encode(
          { kind: 'message', source: parseAddress(root.address), text: 'after an offer' },
          'binary',
        ),
      );
      const message = await x.waitForMessage('after an offer', STEP_TIMEOUT);
      expect(Buffer.concat(received).toString('latin1')).toBe('ACKACK');
      const offers = x.handled.filter((packet) => packet.type === 7);
      expect(offers).toHaveLength(2);
      expect(x.handled.indexOf(message)).toBeGreaterThan(x.handled.indexOf(offers[0] as never));
      expect(x.output.filter((line) => /^Unexpected type:\s+7$/.test(line))).toHaveLength(2);
      expect(x.mainLoopDied).toBeUndefined();
    } finally {
      socket.destroy();
    }
  });
});
