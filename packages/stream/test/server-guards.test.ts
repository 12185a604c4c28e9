import type { Address } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundPacket, MalformedEvent, StreamNode } from '../src/index.js';
import {
  closeAll,
  collect,
  frameOf,
  message,
  RawClient,
  startNode,
  TestClock,
  TestLogger,
  waitFor,
} from './helpers.js';

afterEach(closeAll);

const source: Address = { host: '127.0.0.1', port: 7100 };

describe('a client sending garbage', () => {
  it('is disconnected and reported, and the server keeps serving the others', async () => {
    const logger = new TestLogger();
    const node = await startNode({ logger });
    const good = await RawClient.connect(node.address);
    const bad = await RawClient.connect(node.address);
    const badPort = bad.socket.localPort;
    const malformed = waitFor<MalformedEvent>(node, 'malformed');
    await bad.write('hello, this is not a frame');
    const event = await malformed;
    expect(event.error.code).toBe('ERR_CODEC_UNKNOWN_FRAMING');
    expect(event.remote.host).toBe('127.0.0.1');
    expect(event.remote.port).toBe(badPort);
    await bad.whenClosed();
    expect(bad.length).toBe(0); // nothing but ACK is ever written, and there was nothing to ACK
    const line = await logger.line('malformed frame');
    expect(line.level).toBe('warn');
    expect(line.obj).toMatchObject({
      remote: `127.0.0.1:${badPort}`,
      code: 'ERR_CODEC_UNKNOWN_FRAMING',
    });

    const received = waitFor<InboundPacket>(node, 'packet');
    await good.write(frameOf(message(source, 'still here'), 'binary'));
    expect((await received).packet).toEqual(message(source, 'still here'));
    expect((await good.receivedAtLeast(3)).toString('latin1')).toBe('ACK');

    const other = await startNode();
    await other.send(node.address, message(other.address, 'and for nodes too'));
  });

  it('has the good frames before the garbage acknowledged and delivered first', async () => {
    const node = await startNode();
    const client = await RawClient.connect(node.address);
    const packets = collect<InboundPacket>(node, 'packet', 2);
    const malformed = waitFor<MalformedEvent>(node, 'malformed');
    await client.write(
      Buffer.concat([
        frameOf(message(source, 'one'), 'binary'),
        frameOf(message(source, 'two'), 'text'),
        Buffer.from('\x00\x07garbage after two good frames'),
      ]),
    );
    expect((await packets).map((e) => e.packet)).toEqual([
      message(source, 'one'),
      message(source, 'two'),
    ]);
    expect((await malformed).error.code).toBe('ERR_CODEC_VERSION');
    await client.whenClosed();
    expect(client.received.toString('latin1')).toBe('ACKACK');
  });

  it('refuses a body above maxBodySize before reading it', async () => {
    const node = await startNode({ maxBodySize: 10 });
    const client = await RawClient.connect(node.address);
    const malformed = waitFor<MalformedEvent>(node, 'malformed');
    await client.write(frameOf(message(source, 'eleven byte'), 'binary').subarray(0, 20));
    expect((await malformed).error.code).toBe('ERR_CODEC_BODY_TOO_LARGE');
    await client.whenClosed();
  });

  it('reports a stream that ends inside a frame', async () => {
    const node = await startNode();
    const client = await RawClient.connect(node.address);
    const malformed = waitFor<MalformedEvent>(node, 'malformed');
    client.socket.end(frameOf(message(source, 'cut short'), 'text').subarray(0, 30));
    expect((await malformed).error.code).toBe('ERR_CODEC_TRUNCATED');
    await client.whenClosed();
  });
});

describe('slowloris', () => {
  it('closes a connection trickling a header slower than frameTimeout', async () => {
    const logger = new TestLogger();
    const clock = new TestClock();
    const node = await startNode({ frameTimeout: 300, logger, clock });
    const client = await RawClient.connect(node.address);
    const port = client.socket.localPort;
    const frame = frameOf(message(source, 'slow'), 'text');
    const armed = clock.nextTimer();
    await client.write(frame.subarray(0, 1));
    await armed;
    // The attacker: one byte every 50 ms, so the 28-byte header alone would take 1.4 s. Bytes that
    // keep coming do not restart the frame's deadline.
    let sent = 1;
    for (let elapsed = 50; elapsed < 300; elapsed += 50) {
      clock.advance(50);
      await client.write(frame.subarray(sent, ++sent));
    }
    expect(client.closed).toBe(false);
    clock.advance(50);
    await client.whenClosed();
    expect(sent).toBeLessThan(frame.length);
    const line = await logger.line('frame not completed in time');
    expect(line.level).toBe('warn');
    expect(line.obj.remote).toBe(`127.0.0.1:${port}`);
  });

  it('does not close a connection that completes its frames in time', async () => {
    const clock = new TestClock();
    const node = await startNode({ frameTimeout: 2_000, clock });
    const client = await RawClient.connect(node.address);
    const frame = frameOf(message(source, 'in time'), 'binary');
    const arrived = waitFor<InboundPacket>(node, 'packet');
    const armed = clock.nextTimer();
    await client.write(frame.subarray(0, 10));
    await armed;
    clock.advance(1_999);
    await client.write(frame.subarray(10));
    await arrived;
    await client.receivedAtLeast(3);
    expect(client.closed).toBe(false);
  });
});

/**
 * Connects a client that starts a frame and never finishes it, and resolves once the node has
 * closed it for that, i.e. once `frameTimeout` (200 ms, on `clock`) has passed since the trickler
 * connected: any connection opened earlier and held to a timeout no longer than it would be closed
 * by then.
 */
async function afterATricklerIsClosed(node: StreamNode, clock: TestClock): Promise<void> {
  const trickler = await RawClient.connect(node.address);
  const armed = clock.nextTimer();
  await trickler.write(frameOf(message(source, 'never finished'), 'text').subarray(0, 5));
  await armed;
  clock.advance(200);
  await trickler.whenClosed();
}

describe('accepted connections that stay silent or idle (protocol.md section 4)', () => {
  it('a connection that has not sent its first packet is kept open past every timeout', async () => {
    // An older peer connects to the root when it starts and sends Register when its user types it.
    const clock = new TestClock();
    const node = await startNode({ frameTimeout: 200, idleTimeout: 200, clock });
    const late = await RawClient.connect(node.address);
    await afterATricklerIsClosed(node, clock);
    expect(late.closed).toBe(false);
    const arrived = waitFor<InboundPacket>(node, 'packet');
    await late.write(frameOf(message(source, 'register, at last'), 'binary'));
    expect(((await arrived).packet as { text: string }).text).toBe('register, at last');
    expect((await late.receivedAtLeast(3)).toString('latin1')).toBe('ACK');
  });

  it('a connection idle after its packets is kept open past every timeout', async () => {
    // An older peer keeps its register connection to the root idle while it lives under a parent.
    const clock = new TestClock();
    const node = await startNode({ frameTimeout: 200, idleTimeout: 200, clock });
    const registered = await RawClient.connect(node.address);
    await registered.write(frameOf(message(source, 'register'), 'binary'));
    await registered.receivedAtLeast(3);
    await afterATricklerIsClosed(node, clock);
    await afterATricklerIsClosed(node, clock);
    expect(registered.closed).toBe(false);
    const arrived = waitFor<InboundPacket>(node, 'packet');
    await registered.write(frameOf(message(source, 'advertise, much later'), 'binary'));
    expect(((await arrived).packet as { text: string }).text).toBe('advertise, much later');
    expect((await registered.receivedAtLeast(6)).toString('latin1')).toBe('ACKACK');
  });
});

describe('maxConnections', () => {
  it('closes extra inbound connections at once and keeps serving the others', async () => {
    const logger = new TestLogger();
    const node = await startNode({ maxConnections: 2, logger });
    // From two hosts holding one connection each: nobody holds more than a newcomer would.
    const clients = [
      await RawClient.connect(node.address, '127.0.0.2'),
      await RawClient.connect(node.address, '127.0.0.3'),
    ];
    // A round trip on each makes sure the node has accepted both.
    for (const client of clients) {
      await client.write(frameOf(message(source, 'hi'), 'binary'));
      await client.receivedAtLeast(3);
    }
    expect(node.stats().inbound).toBe(2);
    const extra = await RawClient.connect(node.address, '127.0.0.4');
    await extra.whenClosed();
    const line = await logger.line('too many inbound connections');
    expect(line.level).toBe('warn');
    expect(node.stats().inbound).toBe(2);
    await clients[0]?.write(frameOf(message(source, 'again'), 'binary'));
    await clients[0]?.receivedAtLeast(6);

    // Once one leaves, a newcomer is served.
    await clients[1]?.close();
    await logger.line('inbound connection closed');
    expect(node.stats().inbound).toBe(1);
    const newcomer = await RawClient.connect(node.address);
    await newcomer.write(frameOf(message(source, 'newcomer'), 'binary'));
    await newcomer.receivedAtLeast(3);
  });
});
