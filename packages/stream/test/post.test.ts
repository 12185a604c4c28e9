import type { Packet } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { type InboundPacket, StreamError, type StreamNode } from '../src/index.js';
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

/** Posts and resolves with what `settled` was called with, checking it is called exactly once. */
function posted(
  node: StreamNode,
  to: Parameters<StreamNode['post']>[0],
  packet: Packet,
): Promise<StreamError | undefined> {
  return withTimeout(
    new Promise((resolve, reject) => {
      let calls = 0;
      node.post(to, packet, {}, (error) => {
        calls++;
        if (calls > 1) reject(new Error('settled was called twice'));
        // A second call would come in a later turn; give it one before resolving.
        setImmediate(() => resolve(error));
      });
    }),
    WAIT_MS,
    'settled',
  );
}

describe('post: send without a promise', () => {
  it('delivers the packet and reports its ACK once, with no error', async () => {
    const a = await startNode();
    const b = await startNode();
    const arrived = waitFor<InboundPacket>(b, 'packet');
    expect(await posted(a, b.address, message(a.address, 'posted'))).toBeUndefined();
    const event = await arrived;
    expect(event.packet).toEqual({ kind: 'message', source: a.address, text: 'posted' });
    expect(event.from).toBe(`127.0.0.1:${a.address.port}`);
    expect(a.stats()).toMatchObject({ queued: 0, inFlight: 0 });
  });

  it('reports the same StreamError send() rejects with', async () => {
    const a = await startNode();
    const nowhere = await closedPort();
    const error = await posted(a, nowhere, message(a.address, 'lost'));
    expect(error).toBeInstanceOf(StreamError);
    expect(error?.code).toBe('ERR_STREAM_REFUSED');
    expect(error?.remote).toBe(`127.0.0.1:${nowhere.port}`);

    const bad = await posted(a, 'not an address', message(a.address, 'x'));
    expect(bad?.code).toBe('ERR_STREAM_INVALID_ARGUMENT');
    const invalid = await posted(a, nowhere, { kind: 'message', source: a.address } as Packet);
    expect(invalid?.code).toBe('ERR_STREAM_INVALID_ARGUMENT');
  });

  it('reports a full queue at once and a closed node after close', async () => {
    const silent = await RawServer.start({ ack: false });
    const a = await startNode({ maxQueue: 2 });
    const first = posted(a, silent.address, message(a.address, '1'));
    const second = posted(a, silent.address, message(a.address, '2'));
    expect((await posted(a, silent.address, message(a.address, '3')))?.code).toBe(
      'ERR_STREAM_QUEUE_FULL',
    );
    await a.close();
    expect((await first)?.code).toBe('ERR_STREAM_NODE_CLOSED');
    expect((await second)?.code).toBe('ERR_STREAM_NODE_CLOSED');
    expect((await posted(a, silent.address, message(a.address, '4')))?.code).toBe(
      'ERR_STREAM_NODE_CLOSED',
    );
  });

  it('keeps the order of posts and sends mixed, with a window of 16', async () => {
    const a = await startNode({ window: 16 });
    const b = await startNode();
    const arriving = collect<InboundPacket>(b, 'packet', 400);
    const settled: Array<Promise<unknown>> = [];
    for (let i = 0; i < 400; i++) {
      const packet = message(a.address, `${i}`);
      settled.push(i % 2 === 0 ? a.send(b.address, packet) : posted(a, b.address, packet));
    }
    expect(await Promise.all(settled)).toEqual(Array(400).fill(undefined));
    const texts = (await arriving).map(({ packet }) =>
      packet.kind === 'message' ? packet.text : '',
    );
    expect(texts).toEqual(Array.from({ length: 400 }, (_, i) => `${i}`));
  });
});

describe('post callbacks that act on the node', () => {
  it('a callback may disconnect in the middle of a batch of ACKs: all acknowledged sends are reported so', async () => {
    const raw = await RawServer.start({ ack: false });
    const a = await startNode({ window: 16 });
    const results: Array<string | undefined> = Array(20).fill('not called');
    let calls = 0;
    let disconnected = false;
    const all = new Promise<void>((resolve) => {
      for (let i = 0; i < 20; i++) {
        a.post(raw.address, message(a.address, `${i}`), {}, (error) => {
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
        a.post(nowhere, message(a.address, 'first'), {}, (first) => {
          codes.push(first?.code);
          a.post(nowhere, message(a.address, 'again'), {}, (second) => {
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
        a.post(b.address, message(a.address, `${i}`), {}, (error) => {
          codes.push(error?.code);
          if (!closing) {
            closing = true;
            void a.close().then(resolve);
          }
          if (error !== undefined)
            a.post(b.address, message(a.address, 'retry'), {}, (again) =>
              retried.push(again?.code),
            );
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
      a.post(silent.address, message(a.address, 'never acknowledged'), {}, (error) => {
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
