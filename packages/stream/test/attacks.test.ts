import type { Address } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundPacket } from '../src/index.js';
import {
  closeAll,
  frameOf,
  message,
  RawClient,
  startNode,
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
    const node = await startNode({ frameTimeout: 300, logger });
    const stalled = await RawClient.connect(node.address);
    await stalled.write(frameOf(message(source, 'stalled'), 'binary').subarray(0, 3));
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

  it('refuses a newcomer when every connection speaks the protocol', async () => {
    const logger = new TestLogger();
    const node = await startNode({ maxConnections: 1, logger });
    const honest = await RawClient.connect(node.address);
    await honest.write(frameOf(message(source, 'hello'), 'binary'));
    await honest.receivedAtLeast(3);
    const extra = await RawClient.connect(node.address);
    await extra.whenClosed();
    expect((await logger.line('too many inbound connections')).level).toBe('warn');
    expect(honest.closed).toBe(false);
  });
});

describe('an honest node during an attack', () => {
  it('is served while others send garbage, oversized frames, trickled headers and hundreds of idle connections', async () => {
    const logger = new TestLogger();
    const node = await startNode({
      maxConnections: 128,
      frameTimeout: 500,
      maxBodySize: 1024,
      logger,
    });
    const attackers: RawClient[] = [];
    for (let i = 0; i < 300; i++) attackers.push(await RawClient.connect(node.address)); // idle flood
    const garbage = await RawClient.connect(node.address);
    await garbage.write('GET / HTTP/1.1\r\n\r\n');
    const oversized = await RawClient.connect(node.address);
    await oversized.write(frameOf(message(source, 'x'.repeat(2048)), 'binary'));
    const trickler = await RawClient.connect(node.address);
    const header = frameOf(message(source, 'slow'), 'text');
    await trickler.write(header.subarray(0, 1));

    const honest = await startNode();
    const received: string[] = [];
    node.on(
      'packet',
      ({ packet }: InboundPacket) => packet.kind === 'message' && received.push(packet.text),
    );
    for (let i = 0; i < 50; i++)
      await honest.send(node.address, message(honest.address, `honest ${i}`));
    expect(received.filter((text) => text.startsWith('honest'))).toHaveLength(50);
    await Promise.all([garbage.whenClosed(), oversized.whenClosed(), trickler.whenClosed()]);
    expect(node.stats().inbound).toBeLessThanOrEqual(128);
    const reasons = logger.lines.filter((l) => l.level === 'warn').map((l) => l.obj.code ?? l.msg);
    expect(reasons).toEqual(expect.arrayContaining(['ERR_UNKNOWN_FRAMING', 'ERR_BODY_TOO_LARGE']));
  });
});
