import { afterEach, describe, expect, it } from 'vitest';
import type { StreamError } from '../src/index.js';
import { closeAll, message, RawServer, startNode, TestClock, waitFor } from './helpers.js';

afterEach(closeAll);

/** Resolves once `raw` has received `count` frames in all. */
function frames(raw: RawServer, count: number): Promise<unknown> {
  return raw.frames.length >= count
    ? Promise.resolve()
    : waitFor(raw, 'frame', undefined, () => raw.frames.length >= count);
}

describe('setWindow(remote, window)', () => {
  it('lets a remote set to 8 have 8 frames before the first ACK, while another stays lock-step', async () => {
    const fast = await RawServer.start({ ack: false });
    const slow = await RawServer.start({ ack: false });
    const node = await startNode();
    node.setWindow(fast.address, 8);
    const sends = [
      ...Array.from({ length: 12 }, (_, i) =>
        node.send(fast.address, message(node.address, `${i}`)),
      ),
      ...Array.from({ length: 3 }, (_, i) =>
        node.send(slow.address, message(node.address, `${i}`)),
      ),
    ].map((send) => send.catch((error: StreamError) => error.code));
    await frames(fast, 8);
    await frames(slow, 1);
    // Nothing more leaves without an ACK: 8 + 1 in flight, the rest waits.
    expect(node.stats()).toMatchObject({ outbound: 2, inFlight: 9, queued: 6 });
    expect(fast.frames).toHaveLength(8);
    expect(slow.frames).toHaveLength(1);
    await node.close();
    await Promise.all(sends);
  });

  it('applies to the live connection at once: a larger window lets waiting frames out', async () => {
    const raw = await RawServer.start({ ack: false });
    const node = await startNode();
    const sends = Array.from({ length: 5 }, (_, i) =>
      node.send(raw.address, message(node.address, `${i}`)).catch(() => {}),
    );
    await frames(raw, 1);
    expect(node.stats()).toMatchObject({ inFlight: 1, queued: 4 });
    node.setWindow(raw.address, 8);
    await frames(raw, 5);
    expect(node.stats()).toMatchObject({ inFlight: 5, queued: 0 });
    await node.close();
    await Promise.all(sends);
  });

  it('returns to lock-step with undefined', async () => {
    const raw = await RawServer.start({ ack: false });
    const node = await startNode();
    node.setWindow(raw.address, 4);
    const sends = Array.from({ length: 8 }, (_, i) =>
      node.send(raw.address, message(node.address, `${i}`)),
    );
    await frames(raw, 4);
    node.setWindow(`${raw.address.host}:${raw.address.port}`, undefined);
    const [socket] = raw.sockets;
    socket?.write('ACK'.repeat(4));
    await frames(raw, 5);
    expect(node.stats()).toMatchObject({ inFlight: 1, queued: 3 });
    raw.ack = true;
    socket?.write('ACK');
    await Promise.all(sends);
    expect(raw.frames).toHaveLength(8);
  });

  it('survives the connection being closed idle and opened again', async () => {
    const clock = new TestClock();
    const raw = await RawServer.start();
    const node = await startNode({ clock, idleTimeout: 1_000 });
    node.setWindow(raw.address, 4);
    await node.send(raw.address, message(node.address, 'first'));
    clock.advance(1_001);
    expect(node.stats().outbound).toBe(0);
    raw.ack = false;
    const sends = Array.from({ length: 6 }, (_, i) =>
      node.send(raw.address, message(node.address, `${i}`)).catch(() => {}),
    );
    await frames(raw, 5);
    expect(node.stats()).toMatchObject({ outbound: 1, inFlight: 4, queued: 2 });
    await node.close();
    await Promise.all(sends);
  });

  it('refuses a window out of range or a bad address', async () => {
    const node = await startNode();
    for (const window of [0, 65_537, 1.5, Number.NaN]) {
      expect(() => node.setWindow('127.0.0.1:5353', window)).toThrow(
        expect.objectContaining({ code: 'ERR_STREAM_INVALID_ARGUMENT' }),
      );
    }
    expect(() => node.setWindow('nowhere', 2)).toThrow(
      expect.objectContaining({ code: 'ERR_STREAM_INVALID_ARGUMENT' }),
    );
  });
});
