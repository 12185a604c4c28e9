import type { Address, Packet } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundPacket } from '../src/index.js';
import {
  closeAll,
  collect,
  frameOf,
  message,
  RawClient,
  RawServer,
  startNode,
  waitFor,
} from './helpers.js';

afterEach(closeAll);

const texts = (events: InboundPacket[]): string[] =>
  events.map(({ packet }) => (packet.kind === 'message' ? packet.text : packet.kind));

describe('two nodes on loopback', () => {
  it('delivers a packet, and send resolves once it is acknowledged', async () => {
    const a = await startNode();
    const b = await startNode();
    expect(a.address.host).toBe('127.0.0.1');
    expect(a.address.port).toBeGreaterThan(0);
    expect(Object.isFrozen(a.address)).toBe(true);
    const received = waitFor<InboundPacket>(b, 'packet');
    await a.send(b.address, message(a.address, 'hello'));
    const event = await received;
    expect(event.packet).toEqual({ kind: 'message', source: a.address, text: 'hello' });
    expect(event.framing).toBe('binary');
    expect(event.remote.host).toBe('127.0.0.1');
    expect(a.stats()).toEqual({ inbound: 0, outbound: 1, queued: 0, inFlight: 0 });
    expect(b.stats().inbound).toBe(1);
  });

  it('keeps the order of concurrent sends to one remote', async () => {
    const a = await startNode();
    const b = await startNode();
    const arriving = collect<InboundPacket>(b, 'packet', 500);
    const sent = Array.from({ length: 500 }, (_, i) =>
      a.send(b.address, message(a.address, `${i}`)),
    );
    await Promise.all(sent);
    expect(texts(await arriving)).toEqual(Array.from({ length: 500 }, (_, i) => `${i}`));
  });

  it('keeps the order with a window of 16 too', async () => {
    const a = await startNode({ window: 16 });
    const b = await startNode();
    const arriving = collect<InboundPacket>(b, 'packet', 1000);
    const sent = Array.from({ length: 1000 }, (_, i) =>
      a.send(b.address, message(a.address, `${i}`)),
    );
    await Promise.all(sent);
    expect(texts(await arriving)).toEqual(Array.from({ length: 1000 }, (_, i) => `${i}`));
  });

  it('treats zero-padded and plain forms of an address as one remote with one connection', async () => {
    const a = await startNode();
    const b = await startNode();
    const padded = `127.000.000.001:${b.address.port}`;
    const arriving = collect<InboundPacket>(b, 'packet', 3);
    await a.send(padded, message(a.address, 'one'));
    await a.send({ host: '127.0.0.1', port: b.address.port }, message(a.address, 'two'));
    await a.send(`localhost:${b.address.port}`, message(a.address, 'three'));
    expect(texts(await arriving)).toEqual(['one', 'two', 'three']);
    expect(a.stats().outbound).toBe(1);
    expect(b.stats().inbound).toBe(1);
  });

  it('sends every packet kind', async () => {
    const a = await startNode();
    const b = await startNode();
    const source = a.address;
    const other: Address = { host: '10.0.0.7', port: 6502 };
    const packets: Packet[] = [
      { kind: 'register-request', source, address: source },
      { kind: 'register-response', source },
      { kind: 'advertise-request', source },
      { kind: 'advertise-response', source, parent: other },
      { kind: 'join', source },
      { kind: 'message', source, text: 'héllo wörld ✓' },
      { kind: 'reunion-hello', source, path: [source, other] },
      { kind: 'reunion-hello-back', source, path: [other, source] },
    ];
    const arriving = collect<InboundPacket>(b, 'packet', packets.length);
    await Promise.all(packets.map((packet) => a.send(b.address, packet)));
    expect((await arriving).map((event) => event.packet)).toEqual(packets);
  });
});

describe('10,000 packets to one remote', () => {
  it('arrive in order, each acknowledged exactly once (StreamNode sending to a raw server)', async () => {
    const raw = await RawServer.start();
    const count = 10_000;
    const node = await startNode({ maxQueue: count });
    const sent: Promise<void>[] = [];
    for (let i = 0; i < count; i++)
      sent.push(node.send(raw.address, message(node.address, `${i}`)));
    await Promise.all(sent);
    expect(raw.frames).toHaveLength(count);
    expect(raw.frames.map((frame) => (frame.packet as { text: string }).text)).toEqual(
      Array.from({ length: count }, (_, i) => `${i}`),
    );
    expect(node.stats()).toEqual({ inbound: 0, outbound: 1, queued: 0, inFlight: 0 });
  });

  it('arrive in order with exactly one ACK each (raw client sending to a StreamNode)', async () => {
    const node = await startNode();
    const client = await RawClient.connect(node.address);
    const source: Address = { host: '127.0.0.1', port: 7000 };
    const count = 10_000;
    const frames = Array.from({ length: count }, (_, i) =>
      frameOf(message(source, `${i}`), 'binary'),
    );
    const arriving = collect<InboundPacket>(node, 'packet', count);
    // In batches of 500 frames per write, so reads split frames at arbitrary places.
    for (let i = 0; i < count; i += 500)
      await client.write(Buffer.concat(frames.slice(i, i + 500)));
    expect(texts(await arriving)).toEqual(Array.from({ length: count }, (_, i) => `${i}`));
    await client.receivedAtLeast(3 * count);
    // One more round trip: any surplus ACK of the first 10,000 would have come back before its ACK.
    const last = waitFor(node, 'packet');
    await client.write(frameOf(message(source, 'last'), 'binary'));
    await last;
    const acks = await client.receivedAtLeast(3 * (count + 1));
    expect(acks.length).toBe(3 * (count + 1));
    expect(acks.toString('latin1')).toBe('ACK'.repeat(count + 1));
  });
});

describe('frames split across writes', () => {
  for (const framing of ['binary', 'text'] as const) {
    it(`reassembles a ${framing} frame written one byte at a time`, async () => {
      const node = await startNode();
      const client = await RawClient.connect(node.address);
      const source: Address = { host: '127.0.0.1', port: 7001 };
      const frame = frameOf(message(source, 'split into single bytes'), framing);
      const received = waitFor<InboundPacket>(node, 'packet');
      for (const byte of frame) await client.write(Buffer.of(byte));
      const event = await received;
      expect(event.packet).toEqual(message(source, 'split into single bytes'));
      expect(event.framing).toBe(framing);
      expect((await client.receivedAtLeast(3)).toString('latin1')).toBe('ACK');
    });
  }

  it('decodes several frames of both framings arriving in one write', async () => {
    const node = await startNode();
    const client = await RawClient.connect(node.address);
    const source: Address = { host: '127.0.0.1', port: 7002 };
    const arriving = collect<InboundPacket>(node, 'packet', 3);
    await client.write(
      Buffer.concat([
        frameOf(message(source, 'a'), 'binary'),
        frameOf(message(source, 'b'), 'text'),
        frameOf(message(source, 'c'), 'binary'),
      ]),
    );
    const events = await arriving;
    expect(texts(events)).toEqual(['a', 'b', 'c']);
    expect(events.map((event) => event.framing)).toEqual(['binary', 'text', 'binary']);
    expect((await client.receivedAtLeast(9)).toString('latin1')).toBe('ACKACKACK');
  });
});
