import net from 'node:net';
import { PacketFrame } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamError, StreamNode } from '../src/index.js';
import {
  CountingClock,
  closeAll,
  frameOf,
  handleCounts,
  handlesLeftSince,
  loopTurns,
  message,
  RawClient,
  RawServer,
  startNode,
  waitFor,
} from './helpers.js';

afterEach(closeAll);

describe('close()', () => {
  it('rejects every pending send with ERR_STREAM_NODE_CLOSED, resolves, and is idempotent', async () => {
    const raw = await RawServer.start({ ack: false });
    const node = await startNode({ window: 2 });
    let unreachable = 0;
    node.on('unreachable', () => unreachable++);
    const sends = Array.from({ length: 5 }, (_, i) =>
      node.send(raw.address, message(node.address, `${i}`)).catch((error: StreamError) => error),
    );
    await waitFor(raw, 'frame', undefined, () => raw.frames.length === 2);
    expect(node.stats()).toMatchObject({ queued: 3, inFlight: 2 });
    const first = node.close();
    const second = node.close();
    expect(second).toBe(first);
    await first;
    const errors = await Promise.all(sends);
    for (const error of errors) {
      expect(error).toBeInstanceOf(StreamError);
      expect((error as StreamError).code).toBe('ERR_STREAM_NODE_CLOSED');
    }
    expect(unreachable).toBe(0);
    await node.close();
    expect(node.stats()).toEqual({ inbound: 0, outbound: 0, queued: 0, inFlight: 0 });
  });

  it('makes later sends reject with ERR_STREAM_NODE_CLOSED', async () => {
    const node = await startNode();
    await node.close();
    const error = await node.send('127.0.0.1:1', message(node.address, 'x')).catch((e) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect(error.code).toBe('ERR_STREAM_NODE_CLOSED');
  });

  it('closes inbound connections and stops listening', async () => {
    const node = await startNode();
    const client = await RawClient.connect(node.address);
    await client.write(frameOf(message(node.address, 'hi'), 'binary'));
    await client.receivedAtLeast(3);
    await node.close();
    await client.whenClosed();
    const refused = net.connect(node.address.port, '127.0.0.1');
    const error = await waitFor<NodeJS.ErrnoException>(refused, 'error');
    expect(error.code).toBe('ECONNREFUSED');
    refused.destroy();
  });

  it('is what Symbol.asyncDispose does', async () => {
    const node = await startNode();
    await node[Symbol.asyncDispose]();
    await expect(node.send('127.0.0.1:1', message(node.address, 'x'))).rejects.toMatchObject({
      code: 'ERR_STREAM_NODE_CLOSED',
    });
  });

  it('refuses a send or flood made right after close(), opening no connection', async () => {
    const a = await startNode();
    const b = await startNode();
    const closing = a.close();
    const refused = a.send(b.address, message(a.address, 'too late')).catch((e: unknown) => e);
    let failures: string[] = [];
    a.flood([b.address], new PacketFrame(message(a.address, 'too late')), (report) => {
      failures = report.failures.map((error) => error.code);
    });
    expect(a.stats().outbound).toBe(0);
    expect(failures).toEqual(['ERR_STREAM_NODE_CLOSED']);
    expect(await refused).toMatchObject({ code: 'ERR_STREAM_NODE_CLOSED' });
    await closing;
  });

  it('leaves no socket, server or timer behind', async () => {
    await loopTurns();
    const baseline = handleCounts();
    const silent = await RawServer.start({ ack: false });
    // The system clock's timers are unref'd, so Node does not list them: a counting clock does.
    const clock = new CountingClock();
    const a = await StreamNode.listen({
      listen: '127.0.0.1:0',
      window: 4,
      ackTimeout: 60_000,
      clock,
    });
    const b = await StreamNode.listen({ listen: '127.0.0.1:0', idleTimeout: 60_000, clock });
    await a.send(b.address, message(a.address, 'to b'));
    await b.send(a.address, message(b.address, 'to a'));
    const pending = Array.from({ length: 6 }, (_, i) =>
      a.send(silent.address, message(a.address, `${i}`)).catch(() => {}),
    );
    const client = await RawClient.connect(b.address);
    // A partial frame arms the frame timer too.
    await client.write(frameOf(message(a.address, 'partial'), 'binary').subarray(0, 5));
    await waitFor(silent, 'frame', undefined, () => silent.frames.length === 4);
    expect(handleCounts().TCPSocketWrap).toBeGreaterThan(baseline.TCPSocketWrap);
    expect(clock.live).toBeGreaterThan(0);

    await Promise.all([a.close(), b.close()]);
    await Promise.all(pending);
    await client.whenClosed();
    await silent.close();
    await loopTurns();
    expect(handlesLeftSince(baseline)).toEqual({});
    expect(clock.live).toBe(0);
  });
});

describe('listen()', () => {
  it('rejects with ERR_STREAM_LISTEN when the address is in use, leaving nothing open', async () => {
    const taken = await RawServer.start();
    await loopTurns();
    const baseline = handleCounts();
    const error = await StreamNode.listen({ listen: taken.address }).catch((e) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect(error.code).toBe('ERR_STREAM_LISTEN');
    expect(error.message).toContain(taken.key);
    expect(error.message).toContain('already in use');
    await loopTurns();
    expect(handlesLeftSince(baseline)).toEqual({});
  });

  it('rejects with ERR_STREAM_LISTEN for an address that is not this machine', async () => {
    const error = await StreamNode.listen({ listen: '192.0.2.1:0' }).catch((e) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect(error.code).toBe('ERR_STREAM_LISTEN');
  });

  it('accepts an Address and a zero-padded host', async () => {
    const node = await startNode({ listen: { host: '127.000.000.001', port: 0 } });
    expect(node.address.host).toBe('127.0.0.1');
  });
});
