import type { Address, Packet } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundPacket } from '../src/index.js';
import {
  closeAll,
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

/** Resolves once the logger has seen `count` lines containing `text`. */
function lines(logger: TestLogger, text: string, count: number): Promise<void> {
  const seen = () => logger.lines.filter((l) => l.msg?.includes(text)).length >= count;
  if (seen()) return Promise.resolve();
  return waitFor(logger, 'line', 10_000, seen).then(() => undefined);
}

describe('connections that never speak', () => {
  it('a connection that starts a frame and stalls is closed after frameTimeout', async () => {
    const logger = new TestLogger();
    const clock = new TestClock();
    const node = await startNode({ frameTimeout: 300, logger, clock });
    const stalled = await RawClient.connect(node.address);
    const armed = clock.nextTimer();
    await stalled.write(frameOf(message(source, 'stalled'), 'binary').subarray(0, 3));
    await armed;
    clock.advance(299);
    expect(stalled.closed).toBe(false);
    clock.advance(1);
    await stalled.whenClosed();
    expect((await logger.line('frame not completed in time')).level).toBe('warn');
  });

  it('at the connection limit, the oldest silent connection makes room for a newcomer', async () => {
    const logger = new TestLogger();
    const node = await startNode({ maxConnections: 3, logger });
    const honest = await RawClient.connect(node.address);
    await honest.write(frameOf(message(source, 'hello'), 'binary'));
    await honest.receivedAtLeast(3);
    const silent = [await RawClient.connect(node.address), await RawClient.connect(node.address)];
    await lines(logger, 'inbound connection', 3);
    expect(node.stats().inbound).toBe(3);

    const newcomer = await RawClient.connect(node.address);
    await silent[0]?.whenClosed(); // the oldest silent one went
    expect((await logger.line('sent no frame, to make room')).level).toBe('warn');
    await newcomer.write(frameOf(message(source, 'newcomer'), 'binary'));
    await newcomer.receivedAtLeast(3);
    expect(honest.closed).toBe(false);
    expect(silent[1]?.closed).toBe(false);
  });

  it("at the connection limit, a probe's connection makes room before one that carries traffic", async () => {
    const logger = new TestLogger();
    const node = await startNode({ maxConnections: 2, logger });
    // Idle longer than the probe, and from the same host: without the rule it would be the one to go.
    const honest = await RawClient.connect(node.address);
    await honest.write(frameOf(message(source, 'hello'), 'binary'));
    await honest.receivedAtLeast(3);
    const probe = await RawClient.connect(node.address);
    const offer: Packet = {
      kind: 'capabilities-offer',
      source,
      capabilities: { ids: 1, window: 32 },
    };
    await probe.write(frameOf(offer, 'binary'));
    await probe.receivedAtLeast(3); // ACK: the prober may keep it open a while before it ends it
    const newcomer = await RawClient.connect(node.address);
    await probe.whenClosed();
    expect((await logger.line("closing a probe's connection")).level).toBe('warn');
    await newcomer.write(frameOf(message(source, 'newcomer'), 'binary'));
    await newcomer.receivedAtLeast(3);
    expect(honest.closed).toBe(false);
  });

  it('refuses a newcomer when every connection speaks the protocol and no host holds more', async () => {
    const logger = new TestLogger();
    const node = await startNode({ maxConnections: 1, logger });
    const honest = await RawClient.connect(node.address, '127.0.0.2');
    await honest.write(frameOf(message(source, 'hello'), 'binary'));
    await honest.receivedAtLeast(3);
    const extra = await RawClient.connect(node.address, '127.0.0.3');
    await extra.whenClosed();
    expect((await logger.line('too many inbound connections')).level).toBe('warn');
    expect(honest.closed).toBe(false);
  });
});

describe('connections that sent one frame, then nothing, ever', () => {
  /** A connection from `from` that has delivered one frame (so it is not silent). */
  async function squat(node: { address: Address }, from: string): Promise<RawClient> {
    const squatter = await RawClient.connect(node.address, from);
    await squatter.write(frameOf(message(source, 'one frame, then nothing'), 'binary'));
    await squatter.receivedAtLeast(3);
    return squatter;
  }

  it('cannot lock out a newcomer from their own host: it replaces the longest idle', async () => {
    const logger = new TestLogger();
    const node = await startNode({ maxConnections: 2, logger });
    const squatters = [await squat(node, '127.0.0.1'), await squat(node, '127.0.0.1')];
    const honest = await RawClient.connect(node.address, '127.0.0.1');
    await honest.write(frameOf(message(source, 'register'), 'binary'));
    expect((await honest.receivedAtLeast(3)).toString('latin1')).toBe('ACK');
    await squatters[0]?.whenClosed();
    expect(squatters[1]?.closed).toBe(false);
    expect((await logger.line('longest-idle connection')).level).toBe('warn');
  });

  it('cannot lock out a newcomer from another host: the busiest host gives up its longest idle', async () => {
    const node = await startNode({ maxConnections: 3 });
    const squatters = [await squat(node, '127.0.0.2'), await squat(node, '127.0.0.2')];
    const honest = await squat(node, '127.0.0.3');
    const newcomer = await RawClient.connect(node.address, '127.0.0.4');
    await newcomer.write(frameOf(message(source, 'register'), 'binary'));
    expect((await newcomer.receivedAtLeast(3)).toString('latin1')).toBe('ACK');
    await squatters[0]?.whenClosed();
    expect(squatters[1]?.closed).toBe(false);
    expect(honest.closed).toBe(false);
  });

  it('one host holds at most maxConnectionsPerIp: beyond, its own longest idle makes room', async () => {
    const node = await startNode({ maxConnectionsPerIp: 2, exemptLoopback: false });
    const first = [await squat(node, '127.0.0.2'), await squat(node, '127.0.0.2')];
    const other = await squat(node, '127.0.0.3');
    const third = await squat(node, '127.0.0.2');
    await first[0]?.whenClosed();
    expect(first[1]?.closed).toBe(false);
    expect(third.closed).toBe(false);
    expect(other.closed).toBe(false);
    expect(node.stats().inbound).toBe(3);
  });

  it('loopback hosts are exempt from maxConnectionsPerIp by default', async () => {
    const logger = new TestLogger();
    const node = await startNode({ maxConnectionsPerIp: 1, logger });
    const clients = [await squat(node, '127.0.0.2'), await squat(node, '127.0.0.2')];
    expect(clients.map((client) => client.closed)).toEqual([false, false]);
    expect(node.stats().inbound).toBe(2);
    expect(logger.lines.filter((line) => line.msg?.includes('to make room'))).toEqual([]);
  });
});

describe('an honest node during an attack', () => {
  it('is served while others send garbage, oversized frames, trickled headers and hundreds of idle connections', async () => {
    const logger = new TestLogger();
    const clock = new TestClock();
    const node = await startNode({
      maxConnections: 128,
      frameTimeout: 500,
      maxBodySize: 1024,
      logger,
      clock,
    });
    const attackers: RawClient[] = [];
    for (let i = 0; i < 300; i++) attackers.push(await RawClient.connect(node.address)); // idle flood
    const garbage = await RawClient.connect(node.address);
    await garbage.write('GET / HTTP/1.1\r\n\r\n');
    const oversized = await RawClient.connect(node.address);
    await oversized.write(frameOf(message(source, 'x'.repeat(2048)), 'binary'));
    const trickler = await RawClient.connect(node.address);
    const header = frameOf(message(source, 'slow'), 'text');
    const armed = clock.nextTimer();
    await trickler.write(header.subarray(0, 1));
    await armed;

    const honest = await startNode();
    const received: string[] = [];
    node.on(
      'packet',
      ({ packet }: InboundPacket) => packet.kind === 'message' && received.push(packet.text),
    );
    for (let i = 0; i < 50; i++)
      await honest.send(node.address, message(honest.address, `honest ${i}`));
    expect(received.filter((text) => text.startsWith('honest'))).toHaveLength(50);
    clock.advance(500);
    await Promise.all([garbage.whenClosed(), oversized.whenClosed(), trickler.whenClosed()]);
    expect(node.stats().inbound).toBeLessThanOrEqual(128);
    const reasons = logger.lines.filter((l) => l.level === 'warn').map((l) => l.obj.code ?? l.msg);
    expect(reasons).toEqual(
      expect.arrayContaining(['ERR_CODEC_UNKNOWN_FRAMING', 'ERR_CODEC_BODY_TOO_LARGE']),
    );
  });
});
