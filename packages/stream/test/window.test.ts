import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamError } from '../src/index.js';
import { closeAll, message, RawServer, startNode, waitFor } from './helpers.js';

afterEach(closeAll);

/** The socket a raw server accepted (there is one in these tests). */
function onlySocket(raw: RawServer): net.Socket {
  const [socket] = raw.sockets;
  if (socket === undefined) throw new Error('no connection');
  return socket;
}

describe('window 16', () => {
  it('lets up to 16 frames out before an ACK, never more', async () => {
    const raw = await RawServer.start({ ack: false });
    const node = await startNode({ window: 16 });
    const total = 40;
    let acked = 0;
    let maxOutstanding = 0;
    // The server acknowledges only once it holds a full window (or everything that is left).
    raw.on('frame', () => {
      const outstanding = raw.frames.length - acked;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
      if (outstanding === Math.min(16, total - acked)) {
        onlySocket(raw).write('ACK'.repeat(outstanding));
        acked += outstanding;
      }
    });
    const firstWindow = waitFor(raw, 'frame', undefined, () => raw.frames.length === 16);
    const sends = Array.from({ length: total }, (_, i) =>
      node.send(raw.address, message(node.address, `${i}`)),
    );
    await firstWindow;
    await Promise.all(sends);
    expect(maxOutstanding).toBe(16);
    expect(raw.frames.map((frame) => (frame.packet as { text: string }).text)).toEqual(
      Array.from({ length: total }, (_, i) => `${i}`),
    );
  });

  it('holds 16 in flight and queues the rest while the remote is silent', async () => {
    const raw = await RawServer.start({ ack: false });
    const node = await startNode({ window: 16 });
    const sends = Array.from({ length: 24 }, (_, i) =>
      node.send(raw.address, message(node.address, `${i}`)).catch(() => {}),
    );
    await waitFor(raw, 'frame', undefined, () => raw.frames.length === 16);
    expect(node.stats()).toEqual({ inbound: 0, outbound: 1, queued: 8, inFlight: 16 });
    onlySocket(raw).write('ACK');
    await waitFor(raw, 'frame', undefined, () => raw.frames.length === 17);
    expect(node.stats()).toMatchObject({ queued: 7, inFlight: 16 });
    await node.close();
    await Promise.all(sends);
  });
});

describe('window 1 (lock-step)', () => {
  it('never has more than one packet outstanding, and each read holds exactly one frame', async () => {
    const raw = await RawServer.start({ ack: false });
    const node = await startNode();
    let outstanding = 0;
    let maxOutstanding = 0;
    let chunksWithOneFrame = 0;
    raw.on('data', () => {
      outstanding++;
      maxOutstanding = Math.max(maxOutstanding, outstanding);
    });
    raw.on('frame', () => {
      chunksWithOneFrame++;
      // Acknowledge a little later, giving a misbehaving sender every chance to write ahead.
      setImmediate(() => {
        outstanding--;
        onlySocket(raw).write('ACK');
      });
    });
    const total = 200;
    await Promise.all(
      Array.from({ length: total }, (_, i) =>
        node.send(raw.address, message(node.address, `${i}`)),
      ),
    );
    expect(maxOutstanding).toBe(1);
    expect(raw.chunks).toHaveLength(total);
    expect(chunksWithOneFrame).toBe(total);
  });
});

describe('queue limit', () => {
  it('rejects with ERR_STREAM_QUEUE_FULL beyond maxQueue packets waiting or in flight', async () => {
    const raw = await RawServer.start({ ack: false });
    const node = await startNode({ maxQueue: 4 });
    const settled: string[] = [];
    const sends = Array.from({ length: 4 }, (_, i) =>
      node.send(raw.address, message(node.address, `${i}`)).then(
        () => settled.push('ok'),
        (error: StreamError) => settled.push(error.code),
      ),
    );
    const error = await node.send(raw.address, message(node.address, 'fifth')).catch((e) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect(error.code).toBe('ERR_STREAM_QUEUE_FULL');
    expect(error.remote).toBe(raw.key);
    expect(error.message).toContain('maxQueue');
    expect(node.stats().queued + node.stats().inFlight).toBe(4);
    // Other remotes have their own queues.
    const other = await RawServer.start();
    await node.send(other.address, message(node.address, 'elsewhere'));
    await node.close();
    await Promise.all(sends);
    expect(settled).toEqual([
      'ERR_STREAM_NODE_CLOSED',
      'ERR_STREAM_NODE_CLOSED',
      'ERR_STREAM_NODE_CLOSED',
      'ERR_STREAM_NODE_CLOSED',
    ]);
  });

  it('rejects with ERR_STREAM_QUEUE_FULL beyond maxQueueBytes, but always takes one frame', async () => {
    const raw = await RawServer.start({ ack: false });
    const node = await startNode({ maxQueueBytes: 300 });
    const big = message(node.address, 'x'.repeat(1_000));
    const first = node.send(raw.address, big).catch((e: StreamError) => e.code);
    const error = await node.send(raw.address, message(node.address, 'small')).catch((e) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect(error.code).toBe('ERR_STREAM_QUEUE_FULL');
    expect(error.message).toContain('maxQueueBytes 300');
    await node.close();
    expect(await first).toBe('ERR_STREAM_NODE_CLOSED');
  });
});

describe('urgent sends', () => {
  it('go ahead of the packets waiting for the remote, keeping their own order', async () => {
    const raw = await RawServer.start({ ack: false });
    const node = await startNode();
    const frames = (n: number) =>
      raw.frames.length >= n
        ? Promise.resolve()
        : waitFor(raw, 'frame', undefined, () => raw.frames.length >= n);
    const sends = ['bulk 0', 'bulk 1', 'bulk 2'].map((text) =>
      node.send(raw.address, message(node.address, text)),
    );
    await frames(1); // 'bulk 0' is in flight, the other two wait
    const urgent = ['urgent 0', 'urgent 1'].map((text) =>
      node.send(raw.address, message(node.address, text), { urgent: true }),
    );
    // In lock-step the first packet is in flight; each ACK releases the next one.
    for (let i = 1; i <= 5; i++) {
      [...raw.sockets][0]?.write('ACK');
      if (i < 5) await frames(i + 1);
    }
    await Promise.all([...sends, ...urgent]);
    const texts = raw.frames.map((f) =>
      f.packet.kind === 'message' ? f.packet.text : f.packet.kind,
    );
    expect(texts).toEqual(['bulk 0', 'urgent 0', 'urgent 1', 'bulk 1', 'bulk 2']);
  });
});
