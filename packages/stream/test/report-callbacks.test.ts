import { type Packet, PacketFrame } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundPacket, StreamError, StreamNode } from '../src/index.js';
import {
  closeAll,
  closedPort,
  collect,
  frameOf,
  message,
  RawClient,
  RawServer,
  startNode,
  WAIT_MS,
  waitFor,
  withTimeout,
} from './helpers.js';

afterEach(closeAll);

/**
 * Floods `packet` to one target; `settled` gets its error (or none) from the flood's report,
 * which the node calls synchronously from where the send settles: on an ACK read, a failure, a
 * close. These tests act on the node from there.
 */
function post(
  node: StreamNode,
  to: Parameters<StreamNode['send']>[0],
  packet: Packet,
  settled: (error?: StreamError) => void,
): void {
  node.flood([to], new PacketFrame(packet), (report) => settled(report.failures[0]));
}

describe('sends and floods mixed', () => {
  it('keep their order, with a window of 16', async () => {
    const a = await startNode({ window: 16 });
    const b = await startNode();
    const arriving = collect<InboundPacket>(b, 'packet', 400);
    const settled: Array<Promise<unknown>> = [];
    for (let i = 0; i < 400; i++) {
      const packet = message(a.address, `${i}`);
      settled.push(
        i % 2 === 0
          ? a.send(b.address, packet)
          : new Promise((resolve) => post(a, b.address, packet, resolve)),
      );
    }
    expect(await Promise.all(settled)).toEqual(Array(400).fill(undefined));
    const texts = (await arriving).map(({ packet }) =>
      packet.kind === 'message' ? packet.text : '',
    );
    expect(texts).toEqual(Array.from({ length: 400 }, (_, i) => `${i}`));
  });
});

describe('flood reports that act on the node', () => {
  it('a callback may disconnect in the middle of a batch of ACKs: all acknowledged sends are reported so', async () => {
    const raw = await RawServer.start({ ack: false });
    const a = await startNode({ window: 16 });
    const results: Array<string | undefined> = Array(20).fill('not called');
    let calls = 0;
    let disconnected = false;
    const all = new Promise<void>((resolve) => {
      for (let i = 0; i < 20; i++) {
        post(a, raw.address, message(a.address, `${i}`), (error) => {
          results[i] = error?.code;
          if (!disconnected) {
            disconnected = true;
            a.disconnect(raw.address);
          }
          if (++calls === 20) resolve();
        });
      }
    });
    await waitFor(raw, 'frame', WAIT_MS, () => raw.frames.length === 16);
    // The first window acknowledged in one read: 16 callbacks from one batch of ACKs.
    for (const socket of raw.sockets) socket.write('ACK'.repeat(16));
    await withTimeout(all, WAIT_MS, 'every callback');
    expect(results).toEqual([...Array(16).fill(undefined), ...Array(4).fill('ERR_STREAM_CLOSED')]);
    const b = await startNode();
    const arrived = waitFor<InboundPacket>(b, 'packet');
    await a.send(b.address, message(a.address, 'after'));
    await arrived;
  });

  it('a callback that sends again after a failure gets a new connection, not the dead one', async () => {
    const a = await startNode();
    const nowhere = await closedPort();
    const codes: Array<string | undefined> = [];
    await withTimeout(
      new Promise<void>((resolve) => {
        post(a, nowhere, message(a.address, 'first'), (first) => {
          codes.push(first?.code);
          post(a, nowhere, message(a.address, 'again'), (second) => {
            codes.push(second?.code);
            resolve();
          });
        });
      }),
      WAIT_MS,
      'both callbacks',
    );
    // A second attempt over a new connection is refused by the remote too; the dead one would
    // have answered ERR_STREAM_CLOSED at once.
    expect(codes).toEqual(['ERR_STREAM_REFUSED', 'ERR_STREAM_REFUSED']);
  });

  it('a callback may close the node while ACKs are being read; sends from callbacks are refused', async () => {
    const a = await startNode({ window: 16 });
    const b = await startNode();
    const codes: Array<string | undefined> = [];
    const retried: Array<string | undefined> = [];
    const closed = new Promise<void>((resolve) => {
      let closing = false;
      for (let i = 0; i < 16; i++) {
        post(a, b.address, message(a.address, `${i}`), (error) => {
          codes.push(error?.code);
          if (!closing) {
            closing = true;
            void a.close().then(resolve);
          }
          if (error !== undefined)
            post(a, b.address, message(a.address, 'retry'), (again) => retried.push(again?.code));
        });
      }
    });
    await withTimeout(closed, WAIT_MS, 'the close from a callback');
    expect(codes.length).toBe(16);
    expect(codes[0]).toBeUndefined();
    expect(codes.every((code) => code === undefined || code === 'ERR_STREAM_NODE_CLOSED')).toBe(
      true,
    );
    expect(retried.length).toBe(codes.filter((code) => code !== undefined).length);
    expect(retried.every((code) => code === 'ERR_STREAM_NODE_CLOSED')).toBe(true);
    expect(a.stats()).toEqual({ inbound: 0, outbound: 0, queued: 0, inFlight: 0 });
  });

  it('close() called again from a callback of the first close gets the same promise', async () => {
    const silent = await RawServer.start({ ack: false });
    const a = await startNode();
    const inner: Array<Promise<void>> = [];
    const failed = new Promise<StreamError | undefined>((resolve) => {
      post(a, silent.address, message(a.address, 'never acknowledged'), (error) => {
        inner.push(a.close());
        resolve(error);
      });
    });
    await waitFor(silent, 'frame');
    const outer = a.close();
    const error = await failed;
    expect(error?.code).toBe('ERR_STREAM_NODE_CLOSED');
    expect(error?.remote).toBe(`127.0.0.1:${silent.address.port}`);
    expect(inner).toHaveLength(1);
    expect(inner[0]).toBe(outer);
    await outer;
  });
});

describe('one Message sent to several remotes', () => {
  it('reaches each in the framing that remote speaks, with the right text every time', async () => {
    const a = await startNode();
    const binary = await RawServer.start();
    const text = await RawServer.start();
    // The text remote introduces itself in text framing, so that `a` answers it in text.
    const client = await RawClient.connect(a.address);
    const heard = waitFor<InboundPacket>(a, 'packet');
    await client.write(frameOf(message(text.address, 'hi'), 'text'));
    await heard;
    expect(a.framingFor(text.address)).toBe('text');

    const first = message(a.address, 'same packet');
    const second = message(a.address, 'another');
    for (const packet of [first, second, first]) {
      await Promise.all([a.send(binary.address, packet), a.send(text.address, packet)]);
    }
    const decoded = (server: RawServer) =>
      server.frames.map(({ packet, framing }) => [
        framing,
        packet.kind === 'message' ? packet.text : '',
      ]);
    expect(decoded(binary)).toEqual([
      ['binary', 'same packet'],
      ['binary', 'another'],
      ['binary', 'same packet'],
    ]);
    expect(decoded(text)).toEqual([
      ['text', 'same packet'],
      ['text', 'another'],
      ['text', 'same packet'],
    ]);
  });

  it('encodes a packet changed between two sends as it is at each send', async () => {
    const a = await startNode();
    const b = await RawServer.start();
    const packet = { kind: 'message' as const, source: a.address, text: 'before' };
    await a.send(b.address, packet);
    packet.text = 'after';
    await a.send(b.address, packet);
    expect(b.frames.map(({ packet: p }) => (p.kind === 'message' ? p.text : ''))).toEqual([
      'before',
      'after',
    ]);
  });
});
