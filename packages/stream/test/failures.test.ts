import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import type { Address, DecodedFrame } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import { StreamError, type StreamNode, type UnreachableEvent } from '../src/index.js';
import {
  closeAll,
  closedPort,
  expectEndAfter,
  loopTurns,
  message,
  RawServer,
  remoteSawEnd,
  settledYet,
  startNode,
  TestClock,
  TestLogger,
  track,
  waitFor,
} from './helpers.js';

afterEach(closeAll);

/** Settles every promise, keeping the error codes of the rejections ('ok' for the others). */
function outcomes(sends: Promise<void>[]): Promise<string[]> {
  return Promise.all(
    sends.map((send) =>
      send.then(
        () => 'ok',
        (error: unknown) => (error instanceof StreamError ? error.code : String(error)),
      ),
    ),
  );
}

describe('a remote that never acknowledges', () => {
  it('fails the connection with ERR_STREAM_ACK_TIMEOUT, rejects every pending send and emits unreachable', async () => {
    const raw = await RawServer.start({ ack: false });
    const clock = new TestClock();
    const node = await startNode({ ackTimeout: 200, clock });
    const unreachable = waitFor<UnreachableEvent>(node, 'unreachable');
    const written = waitFor(raw, 'frame');
    const sends = [1, 2, 3].map((i) => node.send(raw.address, message(node.address, `${i}`)));
    await written;
    clock.advance(199);
    expect(node.stats().inFlight).toBe(1);
    clock.advance(1);
    const error = await sends[0]?.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StreamError);
    expect((error as StreamError).code).toBe('ERR_STREAM_ACK_TIMEOUT');
    expect((error as StreamError).remote).toBe(raw.key);
    expect((error as StreamError).message).toContain(raw.key);
    expect(await outcomes(sends)).toEqual([
      'ERR_STREAM_ACK_TIMEOUT',
      'ERR_STREAM_ACK_TIMEOUT',
      'ERR_STREAM_ACK_TIMEOUT',
    ]);
    const event = await unreachable;
    expect(event.address).toEqual(raw.address);
    expect(event.error.code).toBe('ERR_STREAM_ACK_TIMEOUT');
    // Lock-step: only the first packet was ever written.
    expect(raw.frames).toHaveLength(1);
    expect(node.stats()).toEqual({ inbound: 0, outbound: 0, queued: 0, inFlight: 0 });

    // The next send opens a new connection.
    raw.ack = true;
    const connected = waitFor(raw, 'connection');
    await node.send(raw.address, message(node.address, 'again'));
    await connected;
  });

  it('emits unreachable once per failure', async () => {
    const raw = await RawServer.start({ ack: false });
    const clock = new TestClock();
    const node = await startNode({ ackTimeout: 150, window: 4, clock });
    const events: UnreachableEvent[] = [];
    node.on('unreachable', (event) => events.push(event));
    const written = waitFor(raw, 'frame', undefined, () => raw.frames.length === 4);
    const sends = Array.from({ length: 10 }, (_, i) =>
      node.send(raw.key, message(node.address, `${i}`)),
    );
    await written;
    clock.advance(150);
    expect(new Set(await outcomes(sends))).toEqual(new Set(['ERR_STREAM_ACK_TIMEOUT']));
    expect(events).toHaveLength(1);
  });
});

/** Sends `raw` (which never acknowledges) one Message and lets `node`'s ACK timeout of 200 ms pass. */
async function sendUntilAckTimeout(node: StreamNode, raw: RawServer, clock: TestClock) {
  const written = waitFor(raw, 'frame');
  const send = node.send(raw.address, message(node.address, 'never acknowledged'));
  await written;
  clock.advance(200);
  await expect(send).rejects.toMatchObject({ code: 'ERR_STREAM_ACK_TIMEOUT' });
}

describe('after an ACK timeout, the connection is closed only when that is safe', () => {
  // A slow version-1 node (the reference) dies if the end of a connection reaches it with, or
  // just behind, a frame it has not acknowledged yet (docs/interop.md).
  it('keeps the socket open until the late ACK comes, then ends it in order ackTimeout later', async () => {
    const raw = await RawServer.start({ ack: false });
    const clock = new TestClock();
    const node = await startNode({ ackTimeout: 200, clock });
    const ended = remoteSawEnd(raw);
    const endedYet = settledYet(ended);
    const accepted = new Promise<net.Socket>((resolve) => raw.once('connection', resolve));
    await sendUntilAckTimeout(node, raw, clock);
    expect(node.stats()).toEqual({ inbound: 0, outbound: 0, queued: 0, inFlight: 0 });
    await loopTurns(4);
    expect(endedYet()).toBe(false);

    // The remote wakes up and acknowledges: the end waits ackTimeout after it.
    const armed = clock.nextTimer();
    (await accepted).write('ACK');
    expect(await armed).toBe(200);
    await expectEndAfter(clock, 200, ended);
  });

  it.each([
    { idleTimeout: 1_000, bound: 1_000, what: 'idleTimeout' },
    { idleTimeout: 0, bound: 1_200, what: 'six ACK timeouts (idleTimeout 0)' },
  ])('ends it $what after the failure when the ACK never comes', async ({ idleTimeout, bound }) => {
    const raw = await RawServer.start({ ack: false });
    const clock = new TestClock();
    const node = await startNode({ ackTimeout: 200, idleTimeout, clock });
    const ended = remoteSawEnd(raw);
    await sendUntilAckTimeout(node, raw, clock);
    await expectEndAfter(clock, bound, ended);
  });

  it('lets it go at once when the node closes, or when the remote ends it', async () => {
    const raw = await RawServer.start({ ack: false });
    const clock = new TestClock();
    const node = await startNode({ ackTimeout: 200, clock });
    const ended = remoteSawEnd(raw);
    await sendUntilAckTimeout(node, raw, clock);
    await node.close(); // does not wait for the idle bound
    await ended;
    expect(clock.pending).toBe(0);

    const other = await startNode({ ackTimeout: 200, clock });
    const accepted = new Promise<net.Socket>((resolve) => raw.once('connection', resolve));
    await sendUntilAckTimeout(other, raw, clock);
    const closed = new Promise((resolve) => raw.once('close', resolve));
    (await accepted).end();
    await closed;
    await loopTurns(4);
    expect(clock.pending).toBe(0);
  });
});

describe('the bounds on a lingering connection', () => {
  it('with a window (towards a node of ours), an ACK timeout closes the connection at once', async () => {
    const raw = await RawServer.start({ ack: false });
    const clock = new TestClock();
    const node = await startNode({ ackTimeout: 200, window: 3, clock });
    const ended = remoteSawEnd(raw);
    const written = waitFor(raw, 'frame', undefined, () => raw.frames.length === 3);
    const sends = [1, 2, 3].map((i) => node.send(raw.address, message(node.address, `${i}`)));
    await written;
    clock.advance(200);
    expect(new Set(await outcomes(sends))).toEqual(new Set(['ERR_STREAM_ACK_TIMEOUT']));
    await ended;
    expect(clock.pending).toBe(0);
  });

  it('lets it go when the remote writes what is not an ACK, or too many of them', async () => {
    const raw = await RawServer.start({ ack: false });
    const clock = new TestClock();
    const node = await startNode({ ackTimeout: 200, clock });
    const accepted = new Promise<net.Socket>((resolve) => raw.once('connection', resolve));
    const ended = remoteSawEnd(raw);
    await sendUntilAckTimeout(node, raw, clock);
    (await accepted).write('NAK');
    await ended;
    expect(clock.pending).toBe(0);

    // The owed ACK, split across writes, then one too many: the end still waits ackTimeout once.
    const again = new Promise<net.Socket>((resolve) => raw.once('connection', resolve));
    const endedAgain = remoteSawEnd(raw);
    await sendUntilAckTimeout(node, raw, clock);
    const socket = await again;
    const armed = clock.nextTimer();
    socket.write('AC');
    socket.write('KACK');
    expect(await armed).toBe(200);
    clock.advance(200);
    expect(await endedAgain).toBe(true);
    expect(clock.pending).toBe(0);
  });
});

describe('a remote that closes mid-stream', () => {
  it('rejects the pending sends with ERR_STREAM_CLOSED or ERR_STREAM_RESET and emits unreachable', async () => {
    const raw = await RawServer.start();
    raw.on('frame', () => {
      if (raw.frames.length === 5) raw.ack = false; // the 5th was acknowledged already
      if (raw.frames.length === 6) for (const socket of raw.sockets) socket.destroy();
    });
    const node = await startNode();
    const unreachable = waitFor<UnreachableEvent>(node, 'unreachable');
    const sends = Array.from({ length: 20 }, (_, i) =>
      node.send(raw.address, message(node.address, `${i}`)),
    );
    const results = await outcomes(sends);
    expect(results.slice(0, 5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    for (const result of results.slice(5))
      expect(['ERR_STREAM_CLOSED', 'ERR_STREAM_RESET']).toContain(result);
    const event = await unreachable;
    expect(['ERR_STREAM_CLOSED', 'ERR_STREAM_RESET']).toContain(event.error.code);
    expect(event.address).toEqual(raw.address);
  });
});

describe('a refused connection', () => {
  it('rejects with ERR_STREAM_REFUSED and emits unreachable', async () => {
    const port = await closedPort();
    const node = await startNode();
    const unreachable = waitFor<UnreachableEvent>(node, 'unreachable');
    const sends = [
      node.send(port, message(node.address, 'a')),
      node.send(port, message(node.address, 'b')),
    ];
    expect(await outcomes(sends)).toEqual(['ERR_STREAM_REFUSED', 'ERR_STREAM_REFUSED']);
    const event = await unreachable;
    expect(event.address).toEqual(port);
    expect(event.error.code).toBe('ERR_STREAM_REFUSED');
    expect(event.error.message).toContain(`127.0.0.1:${port.port}`);
    expect(node.stats().outbound).toBe(0);
  });
});

/**
 * A server in a child process whose accept queue (backlog 1) is full and whose event loop is
 * blocked, so that a further connection attempt gets no answer at all (Linux drops the SYN).
 */
async function unansweringServer(): Promise<Address> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      `const server = require('node:net').createServer();
       server.listen({ host: '127.0.0.1', port: 0, backlog: 1 }, () => {
         process.stdout.write(server.address().port + '\\n');
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60000);
       });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  track({
    close: () => {
      child.kill('SIGKILL');
      return exited;
    },
  });
  const port = Number(String(await waitFor(child.stdout, 'data')).trim());
  const address = { host: '127.0.0.1', port };
  // Fill the accept queue: two connections complete the handshake, later ones hang.
  for (let i = 0; i < 2; i++) {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    track({ close: () => socket.destroy() });
    await waitFor(socket, 'connect');
  }
  return address;
}

describe('a connection that cannot be opened in time', () => {
  it.skipIf(process.platform !== 'linux')(
    'rejects with ERR_STREAM_CONNECT_TIMEOUT and emits unreachable',
    async () => {
      const address = await unansweringServer();
      const clock = new TestClock();
      const node = await startNode({ connectTimeout: 300, ackTimeout: 60_000, clock });
      const unreachable = waitFor<UnreachableEvent>(node, 'unreachable');
      const send = outcomes([node.send(address, message(node.address, 'hello?'))]);
      clock.advance(299);
      expect(node.stats().outbound).toBe(1);
      clock.advance(1);
      expect(await send).toEqual(['ERR_STREAM_CONNECT_TIMEOUT']);
      const event = await unreachable;
      expect(event.error.code).toBe('ERR_STREAM_CONNECT_TIMEOUT');
      expect(event.error.message).toContain('300 ms');
      expect(node.stats().outbound).toBe(0);
    },
  );
});

describe('a remote that writes something other than ACK', () => {
  it('fails the connection with ERR_STREAM_PROTOCOL', async () => {
    const raw = await RawServer.start({
      ack: false,
      onConnection: (socket) => socket.on('data', () => socket.write('NAK')),
    });
    const node = await startNode();
    const unreachable = waitFor<UnreachableEvent>(node, 'unreachable');
    expect(await outcomes([node.send(raw.address, message(node.address, 'x'))])).toEqual([
      'ERR_STREAM_PROTOCOL',
    ]);
    expect((await unreachable).error.code).toBe('ERR_STREAM_PROTOCOL');
  });

  it('says so when the remote is an HTTP server', async () => {
    const http = createServer((_request, response) => response.end());
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as AddressInfo;
    try {
      const node = await startNode();
      const unreachable = waitFor<UnreachableEvent>(node, 'unreachable');
      await node.send(`127.0.0.1:${port}`, message(node.address, 'x')).catch(() => {});
      const { error } = await unreachable;
      expect(error.code).toBe('ERR_STREAM_PROTOCOL');
      expect(error.message).toContain('answered like an HTTP server ("HTTP/1.1 400');
      expect(error.message).toContain('admin HTTP port rather than the TCP port');
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });

  it('accepts an ACK split across writes, and several ACKs in one write', async () => {
    const raw = await RawServer.start({ ack: false });
    raw.on('frame', async () => {
      const socket = [...raw.sockets][0];
      if (socket === undefined) return;
      if (raw.frames.length === 1) {
        for (const letter of 'ACK') {
          await new Promise<void>((resolve) => socket.write(letter, () => resolve()));
        }
      } else if (raw.frames.length === 4) {
        socket.write('ACKACKACK');
      }
    });
    const node = await startNode({ window: 4 });
    await node.send(raw.address, message(node.address, 'first'));
    await Promise.all([2, 3, 4].map((i) => node.send(raw.address, message(node.address, `${i}`))));
    expect(node.stats()).toEqual({ inbound: 0, outbound: 1, queued: 0, inFlight: 0 });
  });
});

describe('disconnect', () => {
  it('rejects pending sends with ERR_STREAM_CLOSED without an unreachable event; the next send reconnects', async () => {
    const raw = await RawServer.start({ ack: false });
    const node = await startNode({ window: 2 });
    let unreachable = 0;
    node.on('unreachable', () => unreachable++);
    const framesArrived = waitFor<DecodedFrame>(
      raw,
      'frame',
      undefined,
      () => raw.frames.length === 2,
    );
    const sends = [1, 2, 3].map((i) => node.send(raw.address, message(node.address, `${i}`)));
    await framesArrived;
    node.disconnect(`127.000.000.001:${raw.address.port}`);
    expect(unreachable).toBe(0);
    expect(await outcomes(sends)).toEqual([
      'ERR_STREAM_CLOSED',
      'ERR_STREAM_CLOSED',
      'ERR_STREAM_CLOSED',
    ]);
    expect(node.stats().outbound).toBe(0);
    node.disconnect(raw.address); // nothing to disconnect: no-op
    raw.ack = true;
    await node.send(raw.address, message(node.address, 'again'));
    expect(raw.server.listening).toBe(true);
    expect(unreachable).toBe(0);
  });
});

describe('a remote that closes a connection with nothing pending', () => {
  it('is reported unreachable with ERR_STREAM_CLOSED (that is how a stopped node shows)', async () => {
    const a = await startNode();
    const b = await startNode();
    await a.send(b.address, message(a.address, 'one'));
    const unreachable = waitFor<UnreachableEvent>(a, 'unreachable');
    await b.close();
    const event = await unreachable;
    expect(event.address).toEqual(b.address);
    expect(event.error.code).toBe('ERR_STREAM_CLOSED');
    expect(event.error.message).toContain('closed the connection');
    expect(a.stats().outbound).toBe(0);
  });
});

describe('idle outgoing connections', () => {
  it('are closed quietly by this side after idleTimeout; the next send reconnects', async () => {
    const logger = new TestLogger();
    const clock = new TestClock();
    const a = await startNode({ idleTimeout: 200, logger, clock });
    const b = await startNode();
    let unreachable = 0;
    a.on('unreachable', () => unreachable++);
    await a.send(b.address, message(a.address, 'one'));
    clock.advance(199);
    expect(a.stats().outbound).toBe(1);
    clock.advance(1);
    const line = await logger.line('connection closed');
    expect(line.obj).toMatchObject({
      remote: `127.0.0.1:${b.address.port}`,
      code: 'ERR_STREAM_CLOSED',
    });
    expect(String(line.obj.reason)).toContain('200 ms idle');
    expect(a.stats().outbound).toBe(0);
    const received = waitFor(b, 'packet');
    await a.send(b.address, message(a.address, 'two'));
    await received;
    expect(unreachable).toBe(0);
  });
});
