import type { Address, DecodedFrame } from '@p2p/codec';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundPacket } from '../src/index.js';
import { closeAll, frameOf, message, RawClient, RawServer, startNode, waitFor } from './helpers.js';

afterEach(closeAll);

describe('default framing for remotes never heard from', () => {
  for (const framing of ['binary', 'text'] as const) {
    it(`encodes in ${framing} when defaultFraming is ${framing}`, async () => {
      const raw = await RawServer.start();
      const node = await startNode({ defaultFraming: framing });
      expect(node.framingFor(raw.address)).toBe(framing);
      await node.send(raw.address, message(node.address, 'hi'));
      expect(raw.frames[0]?.framing).toBe(framing);
      expect(raw.chunks[0]?.[0]).toBe(framing === 'binary' ? 0x00 : 0x31);
    });
  }

  it('is binary when not configured', async () => {
    const node = await startNode();
    expect(node.framingFor('127.0.0.1:1')).toBe('binary');
  });
});

describe('answering a remote in the framing it used', () => {
  it('switches to the framing a remote last used, keyed by the packet source', async () => {
    const x = await RawServer.start(); // X's server, where answers to X arrive
    const node = await startNode({ defaultFraming: 'binary' });
    const client = await RawClient.connect(node.address); // X's outgoing connection
    // X speaks text, naming its server in zero-padded form in the header.
    let arrived = waitFor<InboundPacket>(node, 'packet');
    await client.write(frameOf(message(x.address, 'from X'), 'text'));
    expect((await arrived).framing).toBe('text');
    expect(node.framingFor(x.address)).toBe('text');
    expect(node.framingFor(`127.000.000.001:${String(x.address.port).padStart(5, '0')}`)).toBe(
      'text',
    );
    let answered = waitFor<DecodedFrame>(x, 'frame');
    await node.send(x.key, message(node.address, 'answer'));
    expect((await answered).framing).toBe('text');
    expect(x.chunks.at(-1)?.[0]).toBe(0x31);

    // X switches to binary: the next answer follows.
    arrived = waitFor<InboundPacket>(node, 'packet');
    await client.write(frameOf(message(x.address, 'binary now'), 'binary'));
    expect((await arrived).framing).toBe('binary');
    answered = waitFor<DecodedFrame>(x, 'frame');
    await node.send(x.address, message(node.address, 'answer 2'));
    expect((await answered).framing).toBe('binary');
  });

  it('follows a switch of framing on a connection already open to that remote', async () => {
    const x = await RawServer.start();
    const node = await startNode({ defaultFraming: 'binary' });
    const client = await RawClient.connect(node.address);
    const framingOfAnswer = async (text: string): Promise<string> => {
      const answered = waitFor<DecodedFrame>(x, 'frame');
      await node.send(x.key, message(node.address, text)); // by key: the live connection's
      return (await answered).framing;
    };
    let arrived = waitFor<InboundPacket>(node, 'packet');
    await client.write(frameOf(message(x.address, 'text first'), 'text'));
    await arrived;
    expect(await framingOfAnswer('one')).toBe('text');
    arrived = waitFor<InboundPacket>(node, 'packet');
    await client.write(frameOf(message(x.address, 'binary now'), 'binary'));
    await arrived;
    expect(await framingOfAnswer('two')).toBe('binary');
    arrived = waitFor<InboundPacket>(node, 'packet');
    await client.write(frameOf(message(x.address, 'text again'), 'text'));
    await arrived;
    expect(await framingOfAnswer('three')).toBe('text');
  });

  it('remembers per source, not per connection', async () => {
    const node = await startNode({ defaultFraming: 'binary' });
    const client = await RawClient.connect(node.address);
    const textSpeaker: Address = { host: '10.0.0.1', port: 5000 };
    const binarySpeaker: Address = { host: '10.0.0.2', port: 5000 };
    const arrived = waitFor(
      node,
      'packet',
      undefined,
      () => node.framingFor(binarySpeaker) === 'binary',
    );
    await client.write(
      Buffer.concat([
        frameOf(message(textSpeaker, 't'), 'text'),
        frameOf(message(binarySpeaker, 'b'), 'binary'),
      ]),
    );
    await arrived;
    expect(node.framingFor(textSpeaker)).toBe('text');
    expect(node.framingFor(binarySpeaker)).toBe('binary');
    expect(node.framingFor('10.0.0.3:5000')).toBe('binary');
  });

  it('two nodes: a text-speaking node is answered in text by a binary-default node', async () => {
    const a = await startNode({ defaultFraming: 'text' });
    const b = await startNode({ defaultFraming: 'binary' });
    const atB = waitFor<InboundPacket>(b, 'packet');
    await a.send(b.address, message(a.address, 'ping'));
    expect((await atB).framing).toBe('text');
    const atA = waitFor<InboundPacket>(a, 'packet');
    await b.send(a.address, message(b.address, 'pong'));
    const reply = await atA;
    expect(reply.framing).toBe('text');
    expect(reply.packet).toEqual(message(b.address, 'pong'));
  });
});
